// EMA smoothing of per-class neighbour counts over a window of frames (SPEC 5).
#ifndef PYENGINE_SMOOTHING_HPP
#define PYENGINE_SMOOTHING_HPP

#include <cstddef>
#include <string>
#include <vector>

#include "config.hpp"

namespace pyengine {

// Keeps the last `window_size` count vectors (newest first). For every class:
// smoothed = sum(a^i * v_i) / sum(a^i), a = 1 - alpha, i = 0 for the newest frame, with
// the factor built by repeated multiplication and the sums taken newest to oldest, as the
// published code does. A "no pose" frame contributes zeros. A class absent from every
// frame in the window gets 0 (the dict-based front end leaves it out; its value is 0).
class EMASmoothing {
public:
    // Settings are checked by validate_smoothing (config.hpp).
    explicit EMASmoothing(int n_classes, int window_size = defaults::window_size,
                          double alpha = defaults::alpha)
        : n_classes_(n_classes), window_size_(window_size), alpha_(alpha) {
        if (n_classes < 1) throw InvalidArgumentError("n_classes must be >= 1");
        validate_smoothing(window_size, alpha);
        ring_.assign(static_cast<std::size_t>(window_size) * n_classes, 0.0);
    }

    int n_classes() const { return n_classes_; }
    int window_size() const { return window_size_; }
    double alpha() const { return alpha_; }
    int frames_in_window() const { return size_; }

    // Push one frame's counts (`counts` = n_classes values, or null for no pose) and write
    // the smoothed confidences into `out` (n_classes doubles).
    template <typename T>
    void update(const T* counts, double* out) {
        head_ = (head_ + window_size_ - 1) % window_size_;
        double* slot = ring_.data() + static_cast<std::size_t>(head_) * n_classes_;
        for (int c = 0; c < n_classes_; ++c) slot[c] = counts ? static_cast<double>(counts[c]) : 0.0;
        if (size_ < window_size_) ++size_;
        const double a = 1.0 - alpha_;
        for (int c = 0; c < n_classes_; ++c) {
            double factor = 1.0, top = 0.0, bottom = 0.0;
            for (int i = 0; i < size_; ++i) {
                const double v = ring_[static_cast<std::size_t>((head_ + i) % window_size_) * n_classes_ + c];
                const double fv = factor * v;
                top += fv;
                bottom += factor;
                factor *= a;
            }
            out[c] = top / bottom;
        }
    }
    void update_no_pose(double* out) { update(static_cast<const double*>(nullptr), out); }

    void reset() {
        size_ = 0;
        head_ = 0;
    }

private:
    int n_classes_, window_size_;
    double alpha_;
    std::vector<double> ring_;
    int head_ = 0, size_ = 0;
};

}  // namespace pyengine

#endif  // PYENGINE_SMOOTHING_HPP
