// pyengine core: the version, the pose sizes, and the settings contract: every setting's
// default and every rule that validates settings, each written once, here. The
// classifier, EMASmoothing, RepetitionCounter, the C ABI (pyengine_params_default,
// pyengine_settings_default, pyengine_settings_validate) and the Python module
// (_native.default_settings, _native.validate_settings) all take them from here.
#ifndef PYENGINE_CONFIG_HPP
#define PYENGINE_CONFIG_HPP

#include <cmath>
#include <string>

#include "errors.hpp"

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

// The published defaults (SPEC 3-6).
namespace defaults {
inline constexpr int top_n_by_max_distance = 30;
inline constexpr int top_n_by_mean_distance = 10;
inline constexpr double axes_weights[3] = {1.0, 1.0, 0.2};
inline constexpr double torso_size_multiplier = 2.5;
inline constexpr int window_size = 10;
inline constexpr double alpha = 0.2;
inline constexpr double enter_threshold = 6.0;
inline constexpr double exit_threshold = 4.0;
}  // namespace defaults

// ---------------------------------------------------------------- the rules
// Each throws InvalidArgumentError whose message names the setting and its value.
// Settings::validate runs all of them, in this order.

namespace detail {
[[noreturn]] inline void reject(const char* setting, const std::string& rule,
                                const std::string& value, const char* why = nullptr) {
    std::string message = std::string(setting) + " must " + rule + ", got " + value;
    if (why) message += std::string(": ") + why;
    throw InvalidArgumentError(message);
}
}  // namespace detail

// Both integers >= 1, and top_n_by_mean_distance <= top_n_by_max_distance (stage 2 keeps
// some of the samples that stage 1 kept).
inline void validate_top_n(int top_n_by_max_distance, int top_n_by_mean_distance) {
    if (top_n_by_max_distance < 1)
        detail::reject("top_n_by_max_distance", "be >= 1", std::to_string(top_n_by_max_distance));
    if (top_n_by_mean_distance < 1)
        detail::reject("top_n_by_mean_distance", "be >= 1", std::to_string(top_n_by_mean_distance));
    if (top_n_by_mean_distance > top_n_by_max_distance)
        detail::reject("top_n_by_mean_distance",
                       "not exceed top_n_by_max_distance (" +
                           std::to_string(top_n_by_max_distance) + ")",
                       std::to_string(top_n_by_mean_distance));
}

// Three finite numbers >= 0 (x, y, z).
inline void validate_axes_weights(const double (&axes_weights)[3]) {
    static const char* const names[3] = {"axes_weights[0]", "axes_weights[1]", "axes_weights[2]"};
    for (int a = 0; a < 3; ++a)
        if (!(std::isfinite(axes_weights[a]) && axes_weights[a] >= 0.0))
            detail::reject(names[a], "be finite and >= 0", detail::format_number(axes_weights[a]));
}

// Finite and > 0 (the torso term of the pose size, SPEC 3 step 3).
inline void validate_torso_size_multiplier(double torso_size_multiplier) {
    if (!(std::isfinite(torso_size_multiplier) && torso_size_multiplier > 0.0))
        detail::reject("torso_size_multiplier", "be finite and > 0",
                       detail::format_number(torso_size_multiplier));
}

// window_size an integer >= 1; alpha in (0, 1].
inline void validate_smoothing(int window_size, double alpha) {
    if (window_size < 1)
        detail::reject("window_size", "be a positive integer", std::to_string(window_size));
    if (!(alpha > 0.0 && alpha <= 1.0))
        detail::reject("alpha", "be in (0, 1]", detail::format_number(alpha));
}

// Both finite, 0 < exit_threshold < enter_threshold.
inline void validate_thresholds(double enter_threshold, double exit_threshold) {
    if (!std::isfinite(enter_threshold))
        detail::reject("enter_threshold", "be finite", detail::format_number(enter_threshold));
    if (!std::isfinite(exit_threshold))
        detail::reject("exit_threshold", "be finite", detail::format_number(exit_threshold));
    if (!(exit_threshold < enter_threshold))
        detail::reject("exit_threshold",
                       "be below enter_threshold (" + detail::format_number(enter_threshold) + ")",
                       detail::format_number(exit_threshold));
    if (!(exit_threshold > 0.0))
        detail::reject("exit_threshold", "be > 0", detail::format_number(exit_threshold),
                       "the confidence is never below 0, so the pose would never be left");
}

// enter_threshold < top_n_by_mean_distance: the smoothed confidence is a weighted mean of
// neighbour counts, never above top_n_by_mean_distance, and the pose is entered only when
// the confidence exceeds enter_threshold.
inline void validate_enter_threshold_reachable(double enter_threshold,
                                               int top_n_by_mean_distance) {
    if (!(enter_threshold < top_n_by_mean_distance))
        detail::reject("enter_threshold",
                       "be below top_n_by_mean_distance (" +
                           std::to_string(top_n_by_mean_distance) + ")",
                       detail::format_number(enter_threshold),
                       "the smoothed confidence never exceeds top_n_by_mean_distance, so the "
                       "pose would never be entered");
}

// ---------------------------------------------------------------- the settings

// Classifier settings (SPEC 3-4).
struct Params {
    int top_n_by_max_distance = defaults::top_n_by_max_distance;
    int top_n_by_mean_distance = defaults::top_n_by_mean_distance;
    double axes_weights[3] = {defaults::axes_weights[0], defaults::axes_weights[1],
                              defaults::axes_weights[2]};
    double torso_size_multiplier = defaults::torso_size_multiplier;

    void validate() const {
        validate_top_n(top_n_by_max_distance, top_n_by_mean_distance);
        validate_axes_weights(axes_weights);
        validate_torso_size_multiplier(torso_size_multiplier);
    }
};

// EMA smoothing settings (SPEC 5).
struct SmoothingParams {
    int window_size = defaults::window_size;
    double alpha = defaults::alpha;

    void validate() const { validate_smoothing(window_size, alpha); }
};

// Repetition counter settings (SPEC 6).
struct CounterParams {
    double enter_threshold = defaults::enter_threshold;
    double exit_threshold = defaults::exit_threshold;

    void validate() const { validate_thresholds(enter_threshold, exit_threshold); }
};

// Every setting of classifying, smoothing and counting. validate() adds the rule that
// needs both the classifier and the counter.
struct Settings {
    Params classifier;
    SmoothingParams smoothing;
    CounterParams counter;

    void validate() const {
        classifier.validate();
        smoothing.validate();
        counter.validate();
        validate_enter_threshold_reachable(counter.enter_threshold,
                                           classifier.top_n_by_mean_distance);
    }
};

}  // namespace pyengine

#endif  // PYENGINE_CONFIG_HPP
