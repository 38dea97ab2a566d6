"""``pyengine landmarks`` (run the pose model once, keep the landmarks) and ``pyengine live``.

``live`` needs a camera and a display. OpenCV's Qt window back end aborts the whole
process when it cannot reach a display, so the display is checked (and a window tried
in a child process) before any window is created here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from ..errors import CameraError, LandmarkFileError
from ._arguments import (
    add_backend_argument,
    add_exercise_argument,
    add_model_argument,
    add_samples_argument,
    add_settings_arguments,
    positive_int,
    settings_from_args,
)
from ._log_options import add_log_arguments, log_from_args, save_report

WINDOW_TITLE = "pyengine live (r: reset, q/Esc: quit)"
_QUIT_KEYS = {ord("q"), ord("Q"), 27}
_RESET_KEYS = {ord("r"), ord("R")}
_WINDOW_PROBE_TIMEOUT_S = 20.0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``landmarks`` and ``live`` to ``subparsers``."""
    _register_landmarks(subparsers)
    _register_live(subparsers)


# ---------------------------------------------------------------- landmarks


def _register_landmarks(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "landmarks",
        help="run the pose model on a video once and save its landmarks",
        description="Run the pose model on every frame of VIDEO and write the landmarks to "
        "FILE (format: docs/landmark_format.md), so counting can be re-run without the model.",
    )
    parser.add_argument("video", metavar="VIDEO", help="video file")
    parser.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="landmark file to write (.npz)"
    )
    add_model_argument(parser)
    parser.add_argument("--max-frames", type=positive_int, metavar="N", help="stop after N frames")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_landmarks)


def run_landmarks(args: argparse.Namespace) -> int:
    """Extract and save the landmarks of ``args.video``; print what was found.

    Interrupted (Ctrl-C, SIGTERM), it saves the frames done so far, says so, and exits
    130 or 143.
    """
    from ..pose import open_estimator
    from ..video.landmark_file import ExtractionInterrupted, extract_landmarks, save_landmarks
    from ..video.readers import VideoReader

    output = Path(args.output)
    _check_output_path(output, Path(args.video))
    start = time.perf_counter()
    interruption = None
    with VideoReader(args.video) as reader, open_estimator(args.model) as estimator:
        try:
            track = extract_landmarks(
                reader, estimator, progress=not args.no_progress, max_frames=args.max_frames
            )
        except ExtractionInterrupted as stop:
            track, interruption = stop.track, stop
    elapsed = time.perf_counter() - start
    save_landmarks(track, output)
    share = 100.0 * track.n_valid / len(track) if len(track) else 0.0
    speed = len(track) / elapsed if elapsed > 0 else 0.0
    print(
        f"frames: {len(track)}" + (" (interrupted: the frames done so far)" if interruption else "")
    )
    print(f"frames with a pose: {track.n_valid} ({share:.1f}%)")
    print(f"time: {elapsed:.1f} s ({speed:.1f} frames/s, model {track.model})")
    print(f"wrote {output}")
    if interruption is not None:
        raise interruption
    return 0


def _check_output_path(output: Path, video: Path) -> None:
    """Fail before the slow pose model runs, not after."""
    from .._files import check_output_file

    check_output_file(output, "-o")
    if output.exists() and video.exists() and output.resolve() == video.resolve():
        raise LandmarkFileError(f"{output}: the output would overwrite the input video")


# ---------------------------------------------------------------- live


def _register_live(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "live",
        help="count repetitions from a camera in a window",
        description="Show the camera with the skeleton, repetition counts and confidence. "
        "Keys: r resets the counts, q or Esc quits.",
    )
    parser.add_argument(
        "--camera", type=int, default=0, metavar="N", help="camera index (default 0)"
    )
    add_samples_argument(parser)
    add_exercise_argument(parser)
    add_backend_argument(parser)
    add_model_argument(parser)
    add_settings_arguments(parser.add_argument_group("classifier, smoothing and counting"))
    add_log_arguments(parser.add_argument_group("workout log"))
    parser.set_defaults(run=run_live)


def run_live(args: argparse.Namespace) -> int:
    """Run the live camera loop until the user quits.

    Raises
    ------
    CameraError
        No display, no window, or no camera at the index.
    UnknownClassError
        An ``--exercise`` class the samples do not have.
    """
    from ..classifier import PoseClassifier
    from ..counting import target_classes
    from ..pose import open_estimator
    from ..samples import default_samples, load_samples
    from ..timing import StageClock
    from ..video.pipeline import stage_result
    from ..video.readers import CameraReader

    settings = settings_from_args(args)
    log = log_from_args(args)
    require_display_variable()
    samples = default_samples() if args.samples is None else load_samples(args.samples)
    targets = target_classes(samples, args.exercises)
    with CameraReader(args.camera) as camera:
        require_window()
        classifier = PoseClassifier(samples, settings, backend=args.backend)
        with open_estimator(args.model) as estimator:
            started_at, start = datetime.now(timezone.utc), time.perf_counter()
            counting, n_frames = _live_loop(camera, estimator, classifier, targets)
            wall_s = time.perf_counter() - start
    if log is not None and n_frames:
        run = stage_result(camera.info, n_frames, counting, StageClock(), wall_s, estimator.name)
        _save_live_session(log, args, run, counting, started_at)
    return 0


def _save_live_session(log, args, run, counting, started_at) -> None:
    from ..report import build_report

    samples_source = os.fspath(args.samples) if args.samples else "bundled"
    report = build_report(run, counting, samples_source=samples_source)
    name = f"camera {args.camera}"
    duration_s = run.wall_time_s
    save_report(log, report, source="live", name=name, started_at=started_at, duration_s=duration_s)


def require_display_variable() -> None:
    """On Linux, raise :class:`CameraError` unless ``DISPLAY`` or ``WAYLAND_DISPLAY`` is set."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise CameraError(
            "no display to show the live window on (neither DISPLAY nor WAYLAND_DISPLAY is "
            "set); run it in a desktop session, or count a video with 'pyengine count'"
        )


def require_window() -> None:
    """On Linux, raise :class:`CameraError` unless a child process can open an OpenCV window.

    OpenCV's Qt back end aborts the process (no exception) when the display cannot be
    reached, so the attempt is made in a child process that is allowed to die.
    """
    if not sys.platform.startswith("linux"):
        return
    probe = "import cv2; cv2.namedWindow('pyengine-probe'); cv2.destroyAllWindows()"
    display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            timeout=_WINDOW_PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CameraError(
            f"opening a window on display {display!r} did not finish in "
            f"{_WINDOW_PROBE_TIMEOUT_S:g} s"
        ) from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit status {done.returncode}"
        raise CameraError(f"cannot open a window on display {display!r}: {reason}")


def _live_loop(camera, estimator, classifier, targets: tuple[str, ...]):
    import cv2

    from ..counting import CountingStage
    from ..video.render import Renderer

    counting = CountingStage(classifier, targets)
    settings = classifier.settings
    renderer = Renderer(
        camera.info.width,
        camera.info.height,
        targets,
        top_n=settings.top_n_by_mean_distance,
        thresholds=(settings.enter_threshold, settings.exit_threshold),
    )
    n_frames = 0
    try:
        for frame in camera:
            n_frames += 1
            result = counting(frame.index, frame.time_s, estimator(frame.image, frame.time_s))
            pose = result.landmarks if result.raw else None  # unembeddable: no pose
            renderer.draw(frame.image, pose, result.counts, result.raw, result.smoothed)
            key = _show(frame.image)
            if key in _QUIT_KEYS or _window_closed():
                break
            if key in _RESET_KEYS:
                counting.reset()
                renderer.reset()
    finally:
        cv2.destroyAllWindows()
    print(", ".join(f"{c}: {n}" for c, n in counting.counts.items()))
    return counting, n_frames


def _show(image) -> int:
    import cv2

    try:
        cv2.imshow(WINDOW_TITLE, image)
        return cv2.waitKey(1) & 0xFF
    except cv2.error as exc:
        raise CameraError(f"cannot show the live window: {exc}") from None


def _window_closed() -> bool:
    import cv2

    try:
        return cv2.getWindowProperty(WINDOW_TITLE, cv2.WND_PROP_VISIBLE) < 1
    except cv2.error:
        return True


# ---------------------------------------------------------------- shared
