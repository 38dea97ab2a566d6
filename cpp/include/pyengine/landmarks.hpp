// BlazePose topology (SPEC 1) and the embedding pairs (SPEC 3 step 4).
#ifndef PYENGINE_LANDMARKS_HPP
#define PYENGINE_LANDMARKS_HPP

namespace pyengine {
namespace lm {

enum : int {
    nose = 0, left_eye_inner, left_eye, left_eye_outer, right_eye_inner, right_eye,
    right_eye_outer, left_ear, right_ear, mouth_left, mouth_right, left_shoulder,
    right_shoulder, left_elbow, right_elbow, left_wrist, right_wrist, left_pinky,
    right_pinky, left_index, right_index, left_thumb, right_thumb, left_hip, right_hip,
    left_knee, right_knee, left_ankle, right_ankle, left_heel, right_heel,
    left_foot_index, right_foot_index
};

inline const char* name(int i) {
    static const char* const names[33] = {
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
        "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
        "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
        "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
        "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
        "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
        "right_heel", "left_foot_index", "right_foot_index"};
    return (i >= 0 && i < 33) ? names[i] : "?";
}

// Embedding rows 1..22 as (from, to); row 0 is shoulder midpoint - hip midpoint.
// Hip->wrist appears twice (rows 13-14 and 17-18), as published.
constexpr int kPairs[22][2] = {
    {left_shoulder, left_elbow}, {right_shoulder, right_elbow},
    {left_elbow, left_wrist},    {right_elbow, right_wrist},
    {left_hip, left_knee},       {right_hip, right_knee},
    {left_knee, left_ankle},     {right_knee, right_ankle},
    {left_shoulder, left_wrist}, {right_shoulder, right_wrist},
    {left_hip, left_ankle},      {right_hip, right_ankle},
    {left_hip, left_wrist},      {right_hip, right_wrist},
    {left_shoulder, left_ankle}, {right_shoulder, right_ankle},
    {left_hip, left_wrist},      {right_hip, right_wrist},
    {left_elbow, right_elbow},   {left_knee, right_knee},
    {left_wrist, right_wrist},   {left_ankle, right_ankle},
};

}  // namespace lm
}  // namespace pyengine

#endif  // PYENGINE_LANDMARKS_HPP
