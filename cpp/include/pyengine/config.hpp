// pyengine core: version, parameters and error types shared by every header.
#ifndef PYENGINE_CONFIG_HPP
#define PYENGINE_CONFIG_HPP

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#define PYENGINE_VERSION_MAJOR 0
#define PYENGINE_VERSION_MINOR 1
#define PYENGINE_VERSION_PATCH 0
#define PYENGINE_VERSION_STRING "0.1.0"

namespace pyengine {

constexpr int kLandmarks = 33;        // BlazePose landmarks per pose
constexpr int kDims = 3;              // x, y, z
constexpr int kCoords = kLandmarks * kDims;  // 99 floats per pose
constexpr int kEmbeddingRows = 23;    // SPEC 3 step 4
constexpr int kEmbeddingSize = kEmbeddingRows * kDims;  // 69 floats per embedding

// Classifier settings (SPEC 3-4); the defaults are the published ones.
struct Params {
    int top_n_by_max_distance = 30;
    int top_n_by_mean_distance = 10;
    double axes_weights[3] = {1.0, 1.0, 0.2};
    double torso_size_multiplier = 2.5;

    // Throws std::invalid_argument naming the offending setting.
    void validate() const {
        if (top_n_by_max_distance < 1)
            throw std::invalid_argument("top_n_by_max_distance must be >= 1, got " +
                                        std::to_string(top_n_by_max_distance));
        if (top_n_by_mean_distance < 1)
            throw std::invalid_argument("top_n_by_mean_distance must be >= 1, got " +
                                        std::to_string(top_n_by_mean_distance));
        for (int a = 0; a < 3; ++a) {
            if (!std::isfinite(axes_weights[a]) || !(axes_weights[a] >= 0.0))
                throw std::invalid_argument("axes_weights[" + std::to_string(a) +
                                            "] must be finite and >= 0, got " +
                                            std::to_string(axes_weights[a]));
        }
        if (!std::isfinite(torso_size_multiplier) || !(torso_size_multiplier >= 0.0))
            throw std::invalid_argument("torso_size_multiplier must be finite and >= 0, got " +
                                        std::to_string(torso_size_multiplier));
    }
};

// Base of every error the core throws on purpose.
struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A training-sample CSV (or folder of CSVs) is malformed; the message names file, line, field.
struct SampleFileError : Error {
    using Error::Error;
};

// A training sample cannot be embedded (NaN/inf or zero pose size).
struct InvalidSampleError : Error {
    using Error::Error;
};

}  // namespace pyengine

#endif  // PYENGINE_CONFIG_HPP
