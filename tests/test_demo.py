"""``pyengine demo``: a synthesised workout whose counted repetitions equal the truth."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from test_report import validate

from pyengine import PoseClassifier, default_samples
from pyengine.cli import main
from pyengine.demo import run_demo
from pyengine.errors import UnknownClassError
from pyengine.report import load_schema
from pyengine.synthetic import WorkoutPlan, pick_keyframes, synthesise_workout


@pytest.fixture(scope="module")
def classifier() -> PoseClassifier:
    return PoseClassifier(default_samples())


@pytest.mark.parametrize("seed", range(6))
def test_counted_repetitions_equal_the_synthesised_truth(classifier, seed):
    rng = np.random.default_rng(seed)
    reps = {"squats_down": int(rng.integers(1, 6)), "pushups_down": int(rng.integers(1, 6))}
    workout, result, _ = run_demo(classifier, WorkoutPlan(reps=reps, seed=seed))
    assert workout.truth_counts == reps
    assert result.counts == reps
    assert result.no_pose_frames  # the workout has gaps and dropped frames


def test_order_of_exercises_and_zero_reps_are_honoured(classifier):
    plan = WorkoutPlan(reps={"pushups_down": 2, "squats_down": 0}, seed=1)
    workout, result, _ = run_demo(classifier, plan)
    assert result.counts == {"pushups_down": 2, "squats_down": 0}
    assert workout.truth["squats_down"] == []


def test_same_seed_same_workout_other_seed_other_noise(classifier):
    plan = WorkoutPlan(reps={"squats_down": 2, "pushups_down": 1}, seed=5)
    a = synthesise_workout(classifier.samples, plan)
    b = synthesise_workout(classifier.samples, plan)
    c = synthesise_workout(classifier.samples, WorkoutPlan(reps=plan.reps, seed=6))
    np.testing.assert_array_equal(a.track.landmarks, b.track.landmarks)
    assert a.truth == b.truth
    assert a.track.landmarks.shape != c.track.landmarks.shape or not np.array_equal(
        a.track.landmarks, c.track.landmarks, equal_nan=True
    )


def test_key_poses_are_real_samples_of_the_right_classes(classifier):
    samples = classifier.samples
    for up_class, down_class in (("squats_up", "squats_down"), ("pushups_up", "pushups_down")):
        up, down = pick_keyframes(samples, up_class, down_class)
        assert (samples.labels[up], samples.labels[down]) == (up_class, down_class)
        # The untouched key poses are classified as their own class by the k-NN.
        assert (
            max(classifier(samples.landmarks[down]).items(), key=lambda kv: kv[1])[0] == down_class
        )
        assert max(classifier(samples.landmarks[up]).items(), key=lambda kv: kv[1])[0] == up_class


def test_synthesised_landmarks_stay_on_the_canvas(classifier):
    plan = WorkoutPlan(reps={"squats_down": 2, "pushups_down": 2}, width=400, height=300, seed=2)
    track = synthesise_workout(classifier.samples, plan).track
    xy = track.landmarks[track.valid][..., :2]
    assert xy[..., 0].min() >= 0 and xy[..., 0].max() < 400
    assert xy[..., 1].min() >= 0 and xy[..., 1].max() < 300
    assert np.allclose(np.diff(track.times), 1 / plan.fps)


def test_bad_plans_are_refused(classifier):
    with pytest.raises(ValueError, match="must end in '_down'"):
        synthesise_workout(classifier.samples, WorkoutPlan(reps={"squats_up": 2}))
    with pytest.raises(ValueError, match="integer >= 0"):
        synthesise_workout(classifier.samples, WorkoutPlan(reps={"squats_down": -1}))
    with pytest.raises(UnknownClassError, match="lunges_up"):
        synthesise_workout(classifier.samples, WorkoutPlan(reps={"lunges_down": 2}))


def test_demo_command_prints_truth_counts_and_latency(capsys, tmp_path):
    report_path = tmp_path / "demo.json"
    assert (
        main(["demo", "--seed", "4", "--squats", "3", "--pushups", "2", "--json", str(report_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "synthesised workout (seed 4)" in out
    assert "squats_down             3        3" in out
    assert "pushups_down            2        2" in out
    assert "classify" in out and "smooth_count" in out
    assert "classifying and counting:" in out and "of a 30 fps frame's time" in out
    report = json.loads(report_path.read_text(encoding="utf-8"))
    validate(report, load_schema())
    assert report["counts"] == {"squats_down": 3, "pushups_down": 2}


def test_demo_command_renders_a_readable_video(capsys, tmp_path):
    out = tmp_path / "demo.mp4"
    assert main(["demo", "--squats", "1", "--pushups", "1", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "[ok]" in text and "MISMATCH" not in text
    capture = cv2.VideoCapture(str(out))
    n = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        assert frame.shape == (480, 640, 3)
        n += 1
    capture.release()
    assert n > 60
