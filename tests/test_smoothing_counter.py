"""EMA smoothing (SPEC 5) and the repetition counter (SPEC 6) against hand-computed sequences."""

from __future__ import annotations

import pytest

from pyengine import EMASmoothing, RepetitionCounter


def test_ema_matches_hand_computed_values():
    ema = EMASmoothing(window_size=3, alpha=0.5)
    assert ema({"a": 10}) == {"a": 10.0}
    # window [{}, {a: 10}]: (0 * 1 + 10 * 0.5) / (1 + 0.5)
    assert ema({}) == pytest.approx({"a": 5 / 1.5})
    # window [{a: 4, b: 6}, {}, {a: 10}]: weights 1, 0.5, 0.25
    assert ema({"a": 4, "b": 6}) == pytest.approx({"a": 6.5 / 1.75, "b": 6 / 1.75})
    # the oldest frame ({a: 10}) leaves the window of 3
    assert ema({"a": 10}) == pytest.approx({"a": 12 / 1.75, "b": 3 / 1.75})


def test_ema_defaults_and_window_expiry():
    ema = EMASmoothing()
    assert (ema.window_size, ema.alpha) == (10, 0.2)
    ema({"squats_down": 10})
    for _ in range(9):
        out = ema(None)
    assert out["squats_down"] == pytest.approx(10 * 0.8**9 / sum(0.8**i for i in range(10)))
    assert ema(None) == {}  # the only frame with the class has left the window
    ema({"x": 1})
    ema.reset()
    assert ema({}) == {}


@pytest.mark.parametrize(
    ("window", "alpha"), [(0, 0.2), (3.5, 0.2), (True, 0.2), (10, 0.0), (10, 1.5)]
)
def test_ema_rejects_bad_settings(window, alpha):
    with pytest.raises(ValueError):
        EMASmoothing(window, alpha)


def test_counter_hysteresis_by_hand():
    counter = RepetitionCounter("pushups_down")
    confidences = [0, 7, 5, 3, 7, 6, 4, 3.9, 6, 6.01, 0]
    expected = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3]
    got = [counter({"pushups_down": c, "pushups_up": 10 - c}) for c in confidences]
    assert got == expected


def test_counter_no_pose_frames_freeze_state():
    counter = RepetitionCounter("squats_down", enter_threshold=6, exit_threshold=4)
    counter({"squats_down": 9})
    assert counter.pose_entered
    assert counter(None) == 0 and counter.pose_entered  # no pose: nothing changes
    assert counter({}) == 1  # a pose of another class: confidence 0, leaves and counts
    assert not counter.pose_entered
    counter.reset()
    assert (counter.n_repeats, counter.pose_entered) == (0, False)


def test_counter_rejects_bad_settings():
    with pytest.raises(ValueError, match="non-empty"):
        RepetitionCounter("")
    with pytest.raises(ValueError, match=r"exit_threshold must be below enter_threshold \(3.0\)"):
        RepetitionCounter("a", enter_threshold=3, exit_threshold=5)
    with pytest.raises(ValueError, match="exit_threshold must be below enter_threshold"):
        RepetitionCounter("a", enter_threshold=5, exit_threshold=5)
    with pytest.raises(ValueError, match="exit_threshold must be > 0"):
        RepetitionCounter("a", enter_threshold=5, exit_threshold=0)
    with pytest.raises(ValueError, match="enter_threshold must be finite, got nan"):
        RepetitionCounter("a", enter_threshold=float("nan"), exit_threshold=1)
