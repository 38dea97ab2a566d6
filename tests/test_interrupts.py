"""Ctrl-C and SIGTERM: no temporary file left, and the report of the part processed."""

from __future__ import annotations

import json
import signal

import numpy as np
import pytest
from cli_process import RunningCommand

from pyengine import PoseClassifier, default_samples
from pyengine.counting import CountingStage
from pyengine.errors import Terminated
from pyengine.video.landmark_file import LandmarkTrack, load_landmarks
from pyengine.video.pipeline import RunInterrupted, run_landmarks, run_video
from pyengine.video.readers import Frame, VideoInfo

TARGETS = ("squats_down", "pushups_down")


class _Frames:
    def __init__(self, n: int) -> None:
        self.info = VideoInfo("<frames>", 25.0, 96, 64, n)

    def __iter__(self):
        for i in range(self.info.n_frames or 0):
            yield Frame(i, i / 25.0, np.zeros((64, 96, 3), np.uint8))


@pytest.fixture(scope="module")
def classifier():
    return PoseClassifier(default_samples())


def _stop_at(frame: int, exception: type[KeyboardInterrupt]):
    def on_frame(result):
        if result.index == frame:
            raise exception()

    return on_frame


@pytest.mark.parametrize("exception", [KeyboardInterrupt, Terminated])
def test_an_interrupted_video_run_carries_its_partial_result(classifier, exception):
    pose = default_samples().landmarks[0]
    with pytest.raises(RunInterrupted) as stopped:
        run_video(
            _Frames(100),
            lambda image, t: pose,
            CountingStage(classifier, TARGETS),
            on_frame=_stop_at(30, exception),
            record_landmarks=True,
        )
    result = stopped.value.result
    assert isinstance(stopped.value.cause, exception)
    assert result.interrupted and result.n_frames == 31
    assert result.to_track().landmarks.shape == (31, 33, 3)
    assert result.latency["pose"].n == 31


def test_an_interrupted_landmark_run_carries_its_partial_result(classifier):
    landmarks = np.repeat(default_samples().landmarks[:1], 50, axis=0)
    track = LandmarkTrack(
        landmarks, np.ones(50, bool), np.arange(50) / 25.0, VideoInfo("x", 25, 640, 480, 50), "m"
    )
    with pytest.raises(RunInterrupted) as stopped:
        run_landmarks(track, CountingStage(classifier, TARGETS), on_frame=_stop_at(9, Terminated))
    assert stopped.value.result.n_frames == 10 and stopped.value.result.interrupted


@pytest.mark.video
@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"]
)
def test_a_signal_mid_count_writes_the_partial_report(videos_dir, tmp_path, signum, status):
    video = videos_dir / "situps_side_gym.mp4"  # 987 frames: long enough to stop in the middle
    out = tmp_path / "out"
    out.mkdir()
    command = RunningCommand(
        [
            "count", str(video), "--out", str(out / "annotated.mp4"), "--json",
            str(out / "report.json"), "--save-landmarks", str(out / "landmarks.npz"),
        ]
    )  # fmt: skip
    command.wait_for_frames(20)
    command.send(signum)
    assert command.finish() == status, command.stderr
    assert ("terminated" if signum == signal.SIGTERM else "interrupted") in command.stderr
    # Nothing hidden left behind, no half video; the report and landmarks of the part done.
    assert sorted(p.name for p in out.iterdir()) == ["landmarks.npz", "report.json"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["interrupted"] is True
    done = report["input"]["frames_processed"]
    assert 20 <= done < 987
    assert len(load_landmarks(out / "landmarks.npz")) == done
    assert "Traceback" not in command.stderr
