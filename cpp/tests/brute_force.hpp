// An independent, deliberately plain implementation of SPEC 4 / docs/numerics.md used as
// the oracle of the C++ tests: full double distance arrays, no blocking, no pruning, and
// a full stable sort of (distance, index) pairs.
#ifndef PYENGINE_TEST_BRUTE_FORCE_HPP
#define PYENGINE_TEST_BRUTE_FORCE_HPP

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "pyengine/core.hpp"

inline std::vector<int> brute_force_neighbours(const std::vector<float>& sample_landmarks,
                                               const float* query, const pyengine::Params& p,
                                               bool* valid) {
    using namespace pyengine;
    const std::size_t S = sample_landmarks.size() / kCoords;
    std::vector<float> emb(S * kEmbeddingSize);
    for (std::size_t s = 0; s < S; ++s)
        embed(sample_landmarks.data() + s * kCoords, p.torso_size_multiplier, &emb[s * kEmbeddingSize]);
    float mirrored[kCoords];
    for (int i = 0; i < kCoords; ++i) mirrored[i] = (i % 3 == 0) ? query[i] * -1.0f : query[i];
    float e[kEmbeddingSize], f[kEmbeddingSize];
    *valid = embed(query, p.torso_size_multiplier, e) && embed(mirrored, p.torso_size_multiplier, f);
    if (!*valid) return {};
    auto dist = [&](std::size_t s, const float* q, bool mean) {
        double D[kEmbeddingSize];
        for (int k = 0; k < kEmbeddingSize; ++k)
            D[k] = static_cast<double>(std::fabs(emb[s * kEmbeddingSize + k] - q[k])) * p.axes_weights[k % 3];
        if (!mean) return *std::max_element(D, D + kEmbeddingSize);
        double r[8];
        for (int j = 0; j < 8; ++j) r[j] = D[j];
        for (int i = 8; i < 64; i += 8)
            for (int j = 0; j < 8; ++j) r[j] = r[j] + D[i + j];
        double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (int i = 64; i < 69; ++i) sum = sum + D[i];
        return sum / 69.0;
    };
    std::vector<std::pair<double, int>> h;
    for (std::size_t s = 0; s < S; ++s)
        h.push_back({std::min(dist(s, e, false), dist(s, f, false)), static_cast<int>(s)});
    std::sort(h.begin(), h.end());
    h.resize(std::min<std::size_t>(h.size(), static_cast<std::size_t>(p.top_n_by_max_distance)));
    std::vector<std::pair<double, int>> h2;
    for (const auto& c : h)
        h2.push_back({std::min(dist(c.second, e, true), dist(c.second, f, true)), c.second});
    std::sort(h2.begin(), h2.end());
    h2.resize(std::min<std::size_t>(h2.size(), static_cast<std::size_t>(p.top_n_by_mean_distance)));
    std::vector<int> out;
    for (const auto& c : h2) out.push_back(c.second);
    return out;
}

#endif
