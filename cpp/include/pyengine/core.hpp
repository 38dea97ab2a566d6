// pyengine core: header-only C++17 pose embedding, two-stage k-NN classifier, EMA
// smoothing, repetition counter and sample loading. No dependencies beyond the standard
// library. Compile with -ffp-contract=off (MSVC: /fp:precise) and without -ffast-math;
// the CMake target pyengine::core adds those flags for you.
#ifndef PYENGINE_CORE_HPP
#define PYENGINE_CORE_HPP

#include "config.hpp"
#include "landmarks.hpp"
#include "embedding.hpp"
#include "classifier.hpp"
#include "smoothing.hpp"
#include "counter.hpp"
#include "samples.hpp"

#endif  // PYENGINE_CORE_HPP
