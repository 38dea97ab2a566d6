// Repetition counting with hysteresis on a smoothed class confidence (SPEC 6).
#ifndef PYENGINE_COUNTER_HPP
#define PYENGINE_COUNTER_HPP

#include "config.hpp"

namespace pyengine {

class RepetitionCounter {
public:
    // Thresholds are checked by validate_thresholds (config.hpp): 0 < exit < enter.
    explicit RepetitionCounter(double enter_threshold = defaults::enter_threshold,
                               double exit_threshold = defaults::exit_threshold)
        : enter_(enter_threshold), exit_(exit_threshold) {
        validate_thresholds(enter_threshold, exit_threshold);
    }

    // Feed one frame's smoothed confidence of the target class; returns the repetitions.
    int update(double confidence) {
        if (!pose_entered_) {
            pose_entered_ = confidence > enter_;
            return n_repeats_;
        }
        if (confidence < exit_) {
            ++n_repeats_;
            pose_entered_ = false;
        }
        return n_repeats_;
    }
    // A frame with no pose: count and state stay as they are.
    int update_no_pose() const { return n_repeats_; }

    int n_repeats() const { return n_repeats_; }
    bool pose_entered() const { return pose_entered_; }
    double enter_threshold() const { return enter_; }
    double exit_threshold() const { return exit_; }
    void reset() {
        n_repeats_ = 0;
        pose_entered_ = false;
    }

private:
    double enter_, exit_;
    int n_repeats_ = 0;
    bool pose_entered_ = false;
};

}  // namespace pyengine

#endif  // PYENGINE_COUNTER_HPP
