"""Real MediaPipe on the real clips of ``shared/data``: counts equal the hand-counted truth.

The pose model runs once per clip per session (about 100 s for the five clips on two
cores); its landmarks are saved to a temporary folder and every other assertion re-uses
them. One clip goes through the whole ``pyengine count`` command with ``--out`` and
``--json``. Ground truth comes from ``ground_truth.csv`` beside the clips.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from cli_process import RunningCommand
from test_report import validate

from pyengine import PoseClassifier, default_samples
from pyengine.cli import main
from pyengine.counting import CountingStage
from pyengine.pose import open_estimator
from pyengine.report import build_report, load_schema
from pyengine.video.landmark_file import load_landmarks, save_landmarks
from pyengine.video.pipeline import run_landmarks, run_video
from pyengine.video.readers import open_source

#: The clips whose exercise the bundled samples know, and the class counting it.
CLIPS = (
    "squats_side_gym",
    "squats_crossfit_front_side",
    "pushups_side_outdoor",
    "pushups_side_gym_letterboxed",
    "pushups_crossfit_front_side",
)
CLASS_OF_EXERCISE = {"squat": "squats_down", "pushup": "pushups_down"}
#: The clip that goes through the command line (the shortest).
CLI_CLIP = "squats_side_gym"
#: A repetition's window (enter to exit of the counter) may start or end this close to the
#: hand-timed bottom of the movement and still be the same repetition.
EVENT_TOLERANCE_S = 0.25


@dataclass
class ClipRun:
    """What one run of the pose model on a clip produced."""

    counts: dict[str, int]
    repetitions: dict[str, list[tuple[float, float]]]
    landmarks_path: Path
    report: dict
    stdout: str = ""
    stderr: str = ""
    annotated: Path | None = None


@pytest.fixture(scope="module")
def ground_truth(videos_dir: Path) -> dict[str, dict]:
    with (videos_dir / "ground_truth.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        Path(row["file"]).stem: {
            "class": CLASS_OF_EXERCISE.get(row["exercise"]),
            "reps": int(row["reps"]),
            "events": [float(t) for t in row["rep_event_times_s"].split(";")],
            "frames": int(row["frames"]),
            "size": (int(row["width"]), int(row["height"])),
        }
        for row in rows
    }


@pytest.fixture(scope="module")
def classifier() -> PoseClassifier:
    return PoseClassifier(default_samples())


@pytest.fixture(scope="module")
def clip_runs(videos_dir, tmp_path_factory, classifier):
    """A function ``run(clip) -> ClipRun`` running the pose model at most once per clip."""
    folder = tmp_path_factory.mktemp("clip_runs")
    cache: dict[str, ClipRun] = {}

    def run(clip: str) -> ClipRun:
        if clip not in cache:
            video = videos_dir / f"{clip}.mp4"
            if clip == CLI_CLIP:
                cache[clip] = _run_cli(video, folder)
            else:
                cache[clip] = _run_library(video, folder, classifier)
        return cache[clip]

    return run


def _run_library(video: Path, folder: Path, classifier) -> ClipRun:
    counting = CountingStage(classifier, ["squats_down", "pushups_down"])
    with open_source(video) as reader, open_estimator("full") as estimator:
        result = run_video(reader, estimator, counting, record_landmarks=True)
    landmarks_path = folder / f"{video.stem}.npz"
    save_landmarks(result.to_track(), landmarks_path)
    report = build_report(result, counting, samples_source="bundled", input_path=video)
    return ClipRun(result.counts, _windows(report), landmarks_path, report)


def _run_cli(video: Path, folder: Path) -> ClipRun:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    paths = {k: folder / f"{video.stem}.{k}" for k in ("mp4", "json", "npz")}
    argv = ["count", str(video), "--out", str(paths["mp4"]), "--json", str(paths["json"])]
    argv += ["--save-landmarks", str(paths["npz"])]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    assert status == 0, err.getvalue()
    report = json.loads(paths["json"].read_text(encoding="utf-8"))
    return ClipRun(
        report["counts"], _windows(report), paths["npz"], report,
        out.getvalue(), err.getvalue(), paths["mp4"],
    )  # fmt: skip


def _windows(report: dict) -> dict[str, list[tuple[float, float]]]:
    return {
        name: [(r["start_s"], r["end_s"]) for r in reps]
        for name, reps in report["repetitions"].items()
    }


# ---------------------------------------------------------------- counts on real clips


@pytest.mark.video
@pytest.mark.parametrize("clip", CLIPS)
def test_count_equals_ground_truth(clip, clip_runs, ground_truth):
    truth = ground_truth[clip]
    assert clip_runs(clip).counts[truth["class"]] == truth["reps"]


@pytest.mark.video
@pytest.mark.parametrize("clip", CLIPS)
def test_each_counted_repetition_holds_one_hand_timed_bottom(clip, clip_runs, ground_truth):
    truth = ground_truth[clip]
    windows = clip_runs(clip).repetitions[truth["class"]]
    assert len(windows) == len(truth["events"])
    for (start, end), event in zip(windows, truth["events"]):
        assert start - EVENT_TOLERANCE_S <= event <= end + EVENT_TOLERANCE_S, (start, event, end)


@pytest.mark.video
@pytest.mark.parametrize("clip", CLIPS)
def test_saved_landmarks_reclassify_to_the_same_repetitions(clip, clip_runs, classifier):
    run = clip_runs(clip)
    track = load_landmarks(run.landmarks_path)
    result = run_landmarks(track, CountingStage(classifier, ["squats_down", "pushups_down"]))
    assert result.counts == run.counts
    assert {
        k: [(r.start_s, r.end_s) for r in v] for k, v in result.repetitions.items()
    } == run.repetitions
    assert len(result.no_pose_frames) == run.report["no_pose_frames"]["count"]


@pytest.mark.video
@pytest.mark.parametrize("clip", CLIPS)
def test_reports_validate_and_describe_the_clip(clip, clip_runs, ground_truth):
    report = clip_runs(clip).report
    validate(report, load_schema())
    truth = ground_truth[clip]
    assert report["input"]["frames_processed"] == truth["frames"]
    assert (report["input"]["width"], report["input"]["height"]) == truth["size"]
    assert report["settings"]["model"] == "mediapipe-legacy-full"
    assert set(report["latency_ms"]) == {"decode", "pose", "classify", "smooth_count"} | (
        {"render", "write"} if clip == CLI_CLIP else set()
    )
    assert report["latency_ms"]["pose"]["n"] == truth["frames"]


# ---------------------------------------------------------------- the command line


@pytest.mark.video
def test_cli_writes_a_complete_annotated_video_and_prints_the_summary(clip_runs, ground_truth):
    run = clip_runs(CLI_CLIP)
    truth = ground_truth[CLI_CLIP]
    capture = cv2.VideoCapture(str(run.annotated))
    n_frames, sizes = 0, set()
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        n_frames += 1
        sizes.add(frame.shape[1::-1])
    capture.release()
    assert n_frames == truth["frames"]
    assert sizes == {truth["size"]}
    assert not [p for p in run.annotated.parent.iterdir() if ".tmp" in p.name]
    # What browsers play, with the input's sound, at a size near the input's.
    import av

    source = run.report["input"]["path"]
    with av.open(str(run.annotated)) as output, av.open(source) as original:
        assert output.streams.video[0].codec_context.name == "h264"
        assert output.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert output.streams.audio[0].codec_context.name == "aac"
        assert output.duration / 1e6 == pytest.approx(original.duration / 1e6, abs=0.1)
    assert run.annotated.stat().st_size <= 1.5 * Path(source).stat().st_size
    assert f"squats_down      {truth['reps']}" in run.stdout
    assert "x real time (11.8 s of video in" in run.stdout
    assert "pose model: mediapipe-legacy-full" in run.stdout
    for stage in ("decode", "pose", "classify", "smooth_count", "render", "write"):
        assert f"\n{stage} " in run.stdout


@pytest.mark.video
def test_cli_reclassifies_a_landmark_file_without_the_model(clip_runs, capsys, tmp_path):
    run = clip_runs(CLI_CLIP)
    report_path = tmp_path / "again.json"
    argv = ["count", "--landmarks", str(run.landmarks_path), "--json", str(report_path), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [f"{name} {count}" for name, count in run.counts.items()]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    validate(report, load_schema())
    assert report["settings"]["model"] is None
    assert report["input"]["landmarks_model"] == "mediapipe-legacy-full"
    assert report["repetitions"] == run.report["repetitions"]


@pytest.mark.video
@pytest.mark.parametrize(
    ("clip", "keep", "problem"),
    [
        # Index at the front: the cut file opens, the model runs, decoding stops short.
        ("squats_side_gym", 0.1, "truncated or corrupt"),
        # Index at the end: the cut file cannot be opened at all.
        ("pushups_side_outdoor", 0.5, "corrupt header"),
    ],
)
def test_truncated_video_exits_2_with_a_clear_message(
    videos_dir, tmp_path, capsys, clip, keep, problem
):
    data = (videos_dir / f"{clip}.mp4").read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[: int(len(data) * keep)])
    out = tmp_path / "annotated.mp4"
    assert main(["count", str(broken), "--out", str(out), "--json", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert f"pyengine count: error: {broken}" in err
    assert problem in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4"]  # nothing half-written


def test_missing_or_non_video_input_exits_2(tmp_path, capsys):
    missing = tmp_path / "nowhere.mp4"
    assert main(["count", str(missing), "--quiet"]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n", encoding="utf-8")
    assert main(["count", str(text), "--quiet"]) == 2
    assert str(text) in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["count", "x.mp4", "--exercise", "lunges_down"], "unknown class 'lunges_down'"),
        (["count"], "give a VIDEO to count, or --landmarks FILE"),
        (["count", "--landmarks", "x.npz", "--out", "y.mp4"], "--out needs the VIDEO"),
        (["count", "x.mp4", "--json", "/nonexistent/dir/r.json"], "does not exist"),
        (["count", "x.mp4", "--enter", "3", "--exit", "5"], "must be below enter_threshold"),
        (["count", "x.mp4", "--enter", "20"], "options: --top-n-mean, --enter"),
        (["count", "x.mp4", "--top-n-mean", "50"], "must not exceed top_n_by_max_distance"),
    ],
)
def test_usage_errors_exit_2_before_any_work(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.video
def test_a_clip_without_a_person_counts_0_and_warns(tmp_path, capsys):
    clip = tmp_path / "empty_room.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (320, 240))
    rng = np.random.default_rng(0)
    for i in range(30):
        frame = (
            np.full((240, 320, 3), (40, 90, 160), np.uint8)
            if i < 15
            else rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
        )
        writer.write(frame)
    writer.release()
    report_path = tmp_path / "report.json"
    assert main(["count", str(clip), "--json", str(report_path), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["squats_down 0", "pushups_down 0"]
    assert (
        "warning: " in captured.err and "no pose was found in any of the 30 frames" in captured.err
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    validate(report, load_schema())
    assert report["no_pose_frames"] == {"count": 30, "ranges": [[0, 29]]}
    assert any("no pose was found" in w for w in report["warnings"])


@pytest.mark.video
def test_landmarks_of_another_video_are_refused_naming_both(clip_runs, videos_dir, tmp_path):
    squats = clip_runs(CLI_CLIP).landmarks_path  # 1280x720, like the push-up clip below
    other = videos_dir / "pushups_side_outdoor.mp4"
    argv = ["count", "--landmarks", str(squats), str(other), "--out", str(tmp_path / "a.mp4")]
    done = RunningCommand(argv)
    assert done.finish() == 2
    assert f"{squats} holds the landmarks of" in done.stderr and CLI_CLIP in done.stderr
    assert f"not of {other}" in done.stderr and "the file contents" in done.stderr
    assert "--force" in done.stderr and list(tmp_path.iterdir()) == []
    forced = RunningCommand([*argv, "--force", "--quiet"])
    assert forced.finish() == 0, forced.stderr
    assert "used anyway (--force)" in forced.stderr and (tmp_path / "a.mp4").is_file()


@pytest.mark.video
def test_a_phone_video_shot_upright_is_counted_upright(videos_dir, tmp_path, ground_truth):
    # A phone stores upright video as sideways pixels plus a display rotation.
    from video_files import set_display_matrix

    from pyengine.video.readers import VideoReader
    from pyengine.video.writer import AnnotatedVideoFile

    original = videos_dir / f"{CLI_CLIP}.mp4"
    phone = tmp_path / "phone.mp4"
    with VideoReader(original) as reader:
        info = reader.info
        with AnnotatedVideoFile(phone, info.fps, info.height, info.width, quality=16) as sink:
            for frame in reader:
                sink.write(cv2.rotate(frame.image, cv2.ROTATE_90_COUNTERCLOCKWISE), frame.time_s)
    set_display_matrix(phone, 90)
    report_path = tmp_path / "report.json"
    assert main(["count", str(phone), "--json", str(report_path), "--quiet"]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["input"]["rotation"] == 90
    assert (report["input"]["width"], report["input"]["height"]) == (1280, 720)
    assert report["counts"]["squats_down"] == ground_truth[CLI_CLIP]["reps"]
    assert report["counts"]["pushups_down"] == 0
