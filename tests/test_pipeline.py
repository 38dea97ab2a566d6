"""The per-frame pipeline: same counts as a plain SPEC 5-7 loop, repetition bounds, threads.

No pose model here: poses come from a synthesised workout (real bundled sample poses
interpolated with noise) replayed frame by frame, so these tests are fast and exact.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from pyengine import EMASmoothing, PoseClassifier, RepetitionCounter, Settings, default_samples
from pyengine.counting import CountingStage
from pyengine.demo import BlankCanvas
from pyengine.errors import SettingsError, UnknownClassError, VideoError
from pyengine.synthetic import WorkoutPlan, synthesise_workout
from pyengine.timing import STAGES
from pyengine.video.landmark_file import ReplayPoses, load_landmarks, save_landmarks
from pyengine.video.pipeline import frame_ranges, run_landmarks, run_video
from pyengine.video.readers import Frame, VideoInfo
from pyengine.video.render import Renderer
from pyengine.video.writer import AnnotatedVideoFile

TARGETS = ("squats_down", "pushups_down")


@pytest.fixture(scope="module")
def classifier() -> PoseClassifier:
    return PoseClassifier(default_samples())


@pytest.fixture(scope="module")
def workout(classifier):
    plan = WorkoutPlan(reps={"squats_down": 3, "pushups_down": 2}, width=320, height=240, seed=7)
    return synthesise_workout(classifier.samples, plan)


def _plain_loop(classifier, track, targets=TARGETS):
    """SPEC 5-7 written out directly: the oracle the pipeline must agree with."""
    smoothing = EMASmoothing()
    counters = {name: RepetitionCounter(name) for name in targets}
    entered, ended = {n: [] for n in targets}, {n: [] for n in targets}
    for i in range(len(track.valid)):
        raw = classifier(track.landmarks[i]) if track.valid[i] else {}
        smoothed = smoothing(raw)
        for name, counter in counters.items():
            was_in, before = counter.pose_entered, counter.n_repeats
            counter(smoothed if raw else None)
            if counter.pose_entered and not was_in:
                entered[name].append(i)
            if counter.n_repeats > before:
                ended[name].append(i)
    return {n: c.n_repeats for n, c in counters.items()}, entered, ended


def _no_worker_threads() -> bool:
    return not [t for t in threading.enumerate() if t.name.startswith("pyengine-")]


class FrameList:
    """A frame source of blank images, optionally failing at one frame."""

    def __init__(self, n, width=320, height=240, fps=30.0, fail_at=None):
        self.info = VideoInfo("<test frames>", fps, width, height, n)
        self.fail_at = fail_at

    def __iter__(self):
        for i in range(self.info.n_frames):
            if i == self.fail_at:
                raise VideoError(f"frame {i}: simulated decoding failure")
            yield Frame(
                i, i / self.info.fps, np.zeros((self.info.height, self.info.width, 3), np.uint8)
            )


def test_counts_and_repetitions_match_the_plain_loop(classifier, workout):
    result = run_landmarks(workout.track, CountingStage(classifier, TARGETS))
    counts, entered, ended = _plain_loop(classifier, workout.track)
    assert result.counts == counts
    assert result.counts == workout.truth_counts
    for name in TARGETS:
        reps = result.repetitions[name]
        assert [r.end_frame for r in reps] == ended[name]
        assert [r.start_frame for r in reps] == entered[name][: len(reps)]
        times = workout.track.times
        assert [r.start_s for r in reps] == [times[r.start_frame] for r in reps]
        assert [r.end_s for r in reps] == [times[r.end_frame] for r in reps]


def test_each_synthesised_bottom_lies_inside_one_counted_repetition(classifier, workout):
    result = run_landmarks(workout.track, CountingStage(classifier, TARGETS))
    for name, bottoms in workout.truth.items():
        reps = result.repetitions[name]
        assert len(reps) == len(bottoms)
        for rep, bottom in zip(reps, bottoms):
            assert rep.start_frame <= bottom <= rep.end_frame


def test_no_pose_frames_are_listed_and_freeze_the_counters(classifier, workout):
    track = workout.track
    result = run_landmarks(track, CountingStage(classifier, TARGETS))
    assert result.no_pose_frames == list(np.flatnonzero(~track.valid))
    assert result.no_pose_frames  # the synthesised workout has gaps
    # A long gap inside the bottom of a squat: the counter must neither count nor reset.
    first = workout.truth["squats_down"][0]
    landmarks = track.landmarks.copy()
    landmarks[first : first + 40] = np.nan
    gapped = _track_like(track, landmarks)
    gapped_result = run_landmarks(gapped, CountingStage(classifier, TARGETS))
    assert gapped_result.counts == _plain_loop(classifier, gapped)[0]
    assert set(range(first, first + 40)) <= set(gapped_result.no_pose_frames)


def _track_like(track, landmarks):
    from pyengine.video.landmark_file import LandmarkTrack

    valid = np.isfinite(landmarks).all(axis=(1, 2))
    return LandmarkTrack(landmarks, valid, track.times, track.info, track.model)


def test_a_degenerate_pose_counts_as_no_pose(classifier):
    stage = CountingStage(classifier, TARGETS)
    from pyengine.timing import StageClock

    point = np.ones((33, 3), np.float32)  # every landmark on one point: pose size 0
    result = stage(0, 0.0, point, StageClock())
    assert result.raw == {}
    assert stage.no_pose_frames == [0]


def test_threaded_video_run_equals_the_landmark_run(classifier, workout):
    track = workout.track
    expected = run_landmarks(track, CountingStage(classifier, TARGETS))
    seen = []
    result = run_video(
        BlankCanvas(track.info),
        ReplayPoses(track.landmarks, track.valid),
        CountingStage(classifier, TARGETS),
        on_frame=lambda r: seen.append(r.index),
        queue_size=2,
    )
    assert seen == list(range(len(track)))  # strictly in frame order
    assert result.counts == expected.counts
    assert result.repetitions == expected.repetitions
    assert result.no_pose_frames == expected.no_pose_frames
    assert _no_worker_threads()


def test_latency_summary_covers_every_stage_that_ran(classifier, workout, tmp_path):
    track = workout.track
    info = track.info
    renderer = Renderer(info.width, info.height, TARGETS)
    with AnnotatedVideoFile(tmp_path / "out.avi", info.fps, info.width, info.height) as sink:
        result = run_video(
            BlankCanvas(info),
            ReplayPoses(track.landmarks, track.valid),
            CountingStage(classifier, TARGETS),
            renderer=renderer,
            sink=sink,
        )
    assert set(result.latency) == set(STAGES)
    for summary in result.latency.values():
        assert summary.n == len(track)
        assert 0 <= summary.p50_ms <= summary.p95_ms
        assert summary.mean_ms >= 0
    assert result.effective_fps == pytest.approx(len(track) / result.wall_time_s)
    landmark_run = run_landmarks(track, CountingStage(classifier, TARGETS))
    assert set(landmark_run.latency) == {"classify", "smooth_count"}


def test_recorded_landmarks_round_trip_through_a_file(classifier, workout, tmp_path):
    track = workout.track
    live = run_video(
        BlankCanvas(track.info),
        ReplayPoses(track.landmarks, track.valid, name="replayed"),
        CountingStage(classifier, TARGETS),
        record_landmarks=True,
    )
    save_landmarks(live.to_track(), tmp_path / "track.npz")
    loaded = load_landmarks(tmp_path / "track.npz")
    assert loaded.model == "replayed"
    np.testing.assert_array_equal(loaded.valid, track.valid)
    np.testing.assert_array_equal(loaded.landmarks, track.landmarks)
    again = run_landmarks(loaded, CountingStage(classifier, TARGETS))
    assert again.repetitions == live.repetitions


def test_max_frames_stops_early(classifier, workout):
    track = workout.track
    result = run_video(
        BlankCanvas(track.info),
        ReplayPoses(track.landmarks, track.valid),
        CountingStage(classifier, TARGETS),
        max_frames=25,
    )
    assert result.n_frames == 25
    assert _no_worker_threads()


def test_a_reader_error_is_raised_in_the_caller_and_stops_every_thread(classifier):
    with pytest.raises(VideoError, match="frame 30: simulated"):
        run_video(
            FrameList(100, fail_at=30),
            lambda image, t: None,
            CountingStage(classifier, TARGETS),
            renderer=Renderer(320, 240, TARGETS),
        )
    assert _no_worker_threads()


def test_a_writer_error_is_raised_in_the_caller(classifier):
    class BrokenSink:
        def write(self, image, time_s=None):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_video(
            FrameList(200),
            lambda image, t: None,
            CountingStage(classifier, TARGETS),
            sink=BrokenSink(),
        )
    assert _no_worker_threads()


def test_a_writer_error_while_waiting_for_a_slow_reader_does_not_hang(classifier):
    class SlowFrames(FrameList):
        def __iter__(self):
            for frame in super().__iter__():
                time.sleep(0.02)
                yield frame

    class BrokenSink:
        def write(self, image, time_s=None):
            raise OSError("disk full")

    outcome = []

    def run():
        try:
            run_video(
                SlowFrames(200),
                lambda image, t: None,
                CountingStage(classifier, TARGETS),
                sink=BrokenSink(),
            )
        except OSError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=run)
    caller.start()
    caller.join(timeout=20)
    assert not caller.is_alive(), "run_video hung after a writer error"
    assert [str(e) for e in outcome] == ["disk full"]
    assert _no_worker_threads()


def test_a_pose_error_and_an_interrupt_stop_every_thread(classifier):
    def failing_pose(image, time_s):
        if time_s > 0.5:
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        run_video(
            FrameList(100), failing_pose, CountingStage(classifier, TARGETS), sink=_NullSink()
        )
    assert _no_worker_threads()

    def interrupt(result):
        if result.index == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_video(
            FrameList(100), lambda image, t: None, CountingStage(classifier, TARGETS),
            sink=_NullSink(), on_frame=interrupt,
        )  # fmt: skip
    assert _no_worker_threads()


class _NullSink:
    def write(self, image, time_s=None):
        pass


def test_no_person_at_all_gives_zero_and_a_warning(classifier):
    result = run_video(FrameList(20), lambda image, t: None, CountingStage(classifier, TARGETS))
    assert result.counts == {"squats_down": 0, "pushups_down": 0}
    assert result.no_pose_ranges() == [(0, 19)]
    assert any("no pose was found in any of the 20 frames" in w for w in result.warnings)


def test_unknown_target_class_is_rejected(classifier):
    with pytest.raises(UnknownClassError, match="lunges_down"):
        CountingStage(classifier, ["squats_down", "lunges_down"])


def test_settings_reach_the_smoothing_and_counters():
    settings = Settings(window_size=4, alpha=0.5, enter_threshold=9.5, exit_threshold=0.5)
    stage = CountingStage(PoseClassifier(default_samples(), settings), ["squats_down"])
    assert (stage.smoothing.window_size, stage.smoothing.alpha) == (4, 0.5)
    counter = stage.counters["squats_down"]
    assert (counter.enter_threshold, counter.exit_threshold) == (9.5, 0.5)


def test_a_stage_refuses_settings_that_cannot_count():
    # A classifier alone accepts them (it does not count); counting with them cannot work.
    classifier = PoseClassifier(default_samples(), Settings(top_n_by_mean_distance=5))
    with pytest.raises(
        SettingsError, match=r"enter_threshold must be below top_n_by_mean_distance \(5\), got 6.0"
    ):
        CountingStage(classifier, ["squats_down"])


def test_frame_ranges():
    assert frame_ranges([]) == []
    assert frame_ranges([3]) == [(3, 3)]
    assert frame_ranges([0, 1, 2, 5, 7, 8]) == [(0, 2), (5, 5), (7, 8)]


def test_annotated_video_is_complete_or_absent(tmp_path):
    out = tmp_path / "clip.mp4"
    frames = [np.full((96, 128, 3), 40 * i, np.uint8) for i in range(6)]
    with AnnotatedVideoFile(out, 25.0, 128, 96) as sink:
        for frame in frames:
            sink.write(frame)
    capture = cv2.VideoCapture(str(out))
    decoded = 0
    while capture.read()[0]:
        decoded += 1
    size = (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    assert (decoded, size) == (6, (128, 96))

    failed = tmp_path / "failed.mp4"
    with pytest.raises(RuntimeError), AnnotatedVideoFile(failed, 25.0, 128, 96) as sink:
        sink.write(frames[0])
        raise RuntimeError("interrupted half-way")
    assert not failed.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]  # no temporary left


def test_annotated_video_rejects_bad_targets(tmp_path):
    with pytest.raises(VideoError, match="cannot write this video type"):
        AnnotatedVideoFile(tmp_path / "x.gif", 30, 64, 64)
    with pytest.raises(VideoError, match="does not exist"):
        AnnotatedVideoFile(tmp_path / "missing" / "x.mp4", 30, 64, 64)
    with AnnotatedVideoFile(tmp_path / "y.mp4", 30, 64, 64) as sink:
        sink.write(np.zeros((64, 64, 3), np.uint8))
        with pytest.raises(VideoError, match="frame 1 is 64x32, the video is 64x64"):
            sink.write(np.zeros((32, 64, 3), np.uint8))
    with (
        pytest.raises(VideoError, match="no frames to write"),
        AnnotatedVideoFile(tmp_path / "z.mp4", 30, 64, 64),
    ):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y.mp4"]
