// Pose embedding (SPEC 3) with the exact float32 arithmetic of docs/numerics.md.
//
// Build with -ffp-contract=off (MSVC: /fp:precise) and without -ffast-math: a fused
// multiply-add or reassociation changes the last bit and with it the neighbour sets.
#ifndef PYENGINE_EMBEDDING_HPP
#define PYENGINE_EMBEDDING_HPP

#include <cmath>

#include "config.hpp"
#include "landmarks.hpp"

namespace pyengine {

namespace detail {
// The embedding's "no pose" result: `out` all zeros, false.
inline bool no_pose(float* out) {
    for (int i = 0; i < kEmbeddingSize; ++i) out[i] = 0.0f;
    return false;
}
}  // namespace detail

// Embed one pose. `landmarks` holds 99 floats (33 x (x, y, z), pixel-scaled); on success
// `out` receives 69 floats (23 x (x, y, z)) and true is returned. Returns false ("no
// pose") when a landmark is NaN/inf, the pose size is not > 0, or the embedding is not
// finite; `out` is then filled with zeros.
inline bool embed(const float* landmarks, double torso_size_multiplier, float* out) {
    float L[kCoords];
    bool finite = true;
    for (int i = 0; i < kCoords; ++i) {
        L[i] = landmarks[i];
        finite &= std::isfinite(L[i]);
    }
    if (!finite) return detail::no_pose(out);
    // Translate by the hip midpoint (3D).
    float center[3];
    for (int a = 0; a < 3; ++a)
        center[a] = (L[3 * lm::left_hip + a] + L[3 * lm::right_hip + a]) * 0.5f;
    for (int i = 0; i < kLandmarks; ++i)
        for (int a = 0; a < 3; ++a) L[3 * i + a] = L[3 * i + a] - center[a];

    // Pose size on x, y only.
    const float hx = (L[3 * lm::left_hip + 0] + L[3 * lm::right_hip + 0]) * 0.5f;
    const float hy = (L[3 * lm::left_hip + 1] + L[3 * lm::right_hip + 1]) * 0.5f;
    const float shx = (L[3 * lm::left_shoulder + 0] + L[3 * lm::right_shoulder + 0]) * 0.5f;
    const float shy = (L[3 * lm::left_shoulder + 1] + L[3 * lm::right_shoulder + 1]) * 0.5f;
    const float dx = shx - hx, dy = shy - hy;
    const float dxx = dx * dx, dyy = dy * dy;  // each rounded: no FMA
    const float torso = std::sqrt(dxx + dyy);
    float maxd = 0.0f;
    for (int i = 0; i < kLandmarks; ++i) {
        const float ex = L[3 * i + 0] - hx, ey = L[3 * i + 1] - hy;
        const float exx = ex * ex, eyy = ey * ey;
        const float d = std::sqrt(exx + eyy);
        if (i == 0 || d > maxd) maxd = d;
    }
    const double t64 = static_cast<double>(torso) * torso_size_multiplier;
    const float size = (t64 >= static_cast<double>(maxd)) ? static_cast<float>(t64) : maxd;
    if (!(size > 0.0f)) return detail::no_pose(out);
    for (int i = 0; i < kCoords; ++i) {
        const float q = L[i] / size;  // divide first, then multiply
        L[i] = q * 100.0f;
    }
    for (int a = 0; a < 3; ++a) {
        const float sh = (L[3 * lm::left_shoulder + a] + L[3 * lm::right_shoulder + a]) * 0.5f;
        const float hp = (L[3 * lm::left_hip + a] + L[3 * lm::right_hip + a]) * 0.5f;
        out[a] = sh - hp;
    }
    for (int k = 0; k < 22; ++k) {
        const int from = lm::kPairs[k][0], to = lm::kPairs[k][1];
        for (int a = 0; a < 3; ++a) out[3 * (k + 1) + a] = L[3 * to + a] - L[3 * from + a];
    }
    for (int i = 0; i < kEmbeddingSize; ++i) finite &= std::isfinite(out[i]);
    if (!finite) return detail::no_pose(out);
    return true;
}

}  // namespace pyengine

#endif  // PYENGINE_EMBEDDING_HPP
