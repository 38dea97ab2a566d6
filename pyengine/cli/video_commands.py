"""``pyengine count`` (a video or a landmark file) and ``pyengine demo`` (no input at all)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .._config import DEFAULT_OUTPUT_QUALITY
from .._files import check_output_file
from ..classifier import PoseClassifier
from ..errors import UsageError
from ..samples import SampleSet, default_samples, load_samples
from ..settings import sample_set_warnings

if TYPE_CHECKING:
    from ..video.landmark_file import SourceIdentity
from ._arguments import (
    add_backend_argument,
    add_exercise_argument,
    add_model_argument,
    add_samples_argument,
    add_settings_arguments,
    settings_from_args,
)
from ._log_options import add_log_arguments, log_from_args, save_report

#: ``--json -``: the report goes to standard output.
STDOUT = "-"
#: Exit status when the work was done but an output could not be written at the end.
EXIT_OUTPUT_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``count`` and ``demo`` to ``subparsers``."""
    _register_count(subparsers)
    _register_demo(subparsers)


# ---------------------------------------------------------------- arguments


def _register_count(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "count",
        help="count exercise repetitions in a video (or in a saved landmark file)",
        description=(
            "Run the pose model on every frame of VIDEO, classify each pose against the "
            "samples, smooth, and count repetitions of each target class. With "
            "--landmarks, classify a saved landmark file instead of running the model."
        ),
    )
    parser.add_argument("video", nargs="?", metavar="VIDEO", help="video file to count")
    parser.add_argument(
        "--landmarks",
        metavar="FILE",
        help="classify this landmark file instead of running the pose model (VIDEO then "
        "optional; given, it must be the video the file was made from, and draws --out)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="use --landmarks even if they were made from another video than VIDEO",
    )
    add_exercise_argument(parser)
    parser.add_argument(
        "--out",
        metavar="VIDEO",
        help="write the annotated video here: .mp4 (H.264 with the input's sound, plays in "
        "browsers), .mov, .m4v, or .avi (Motion JPEG, no sound)",
    )
    parser.add_argument(
        "--out-quality",
        type=_quality,
        metavar="CRF",
        help="H.264 quality of --out, 0 (lossless) to 51; lower is better and larger "
        f"(default: {DEFAULT_OUTPUT_QUALITY}, with the size capped near the input's)",
    )
    parser.add_argument(
        "--json", metavar="FILE", help="write the JSON report here ('-': to standard output)"
    )
    parser.add_argument(
        "--save-landmarks",
        metavar="FILE",
        help="also save the pose model's landmarks (.npz) for later --landmarks runs",
    )
    add_model_argument(parser)
    _add_classifier_options(parser)
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no summary; print only 'class count' lines",
    )
    add_log_arguments(parser.add_argument_group("workout log"))
    parser.set_defaults(run=run_count)


def _register_demo(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="count a synthesised workout made from the bundled sample poses (no input needed)",
        description=(
            "Synthesise a short workout (squats, then push-ups) by interpolating real "
            "bundled sample poses with noise and a few frames without a pose, count it "
            "with the whole engine, and print the counts next to the synthesised truth."
        ),
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--squats", type=_non_negative_int, default=4, help="squats to synthesise (default: 4)"
    )
    parser.add_argument(
        "--pushups", type=_non_negative_int, default=3, help="push-ups to synthesise (default: 3)"
    )
    parser.add_argument(
        "--out", metavar="VIDEO", help="render the skeleton on a blank canvas into this video"
    )
    parser.add_argument(
        "--json", metavar="FILE", help="write the JSON report here ('-': to standard output)"
    )
    _add_classifier_options(parser, samples=False)
    parser.add_argument("--quiet", action="store_true", help="print only the truth table")
    parser.set_defaults(run=run_demo_command)


def _add_classifier_options(parser: argparse.ArgumentParser, *, samples: bool = True) -> None:
    group = parser.add_argument_group("classifier, smoothing and counting")
    if samples:
        add_samples_argument(group)
    add_backend_argument(group)
    add_settings_arguments(group)


def _quality(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"must be 0 (best) to 51 (smallest), got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


# ---------------------------------------------------------------- shared set-up


def _classifier(args: argparse.Namespace, samples: SampleSet) -> PoseClassifier:
    return PoseClassifier(samples, settings_from_args(args), backend=args.backend)


def check_outputs(args: argparse.Namespace, options: tuple[str, ...], inputs=()) -> None:
    """Fail now, before any frame is read, if an output cannot be written.

    Raises
    ------
    OutputError
        A missing, read-only or full folder, or a folder where a file should go.
    UsageError
        An output that is one of the inputs, or two outputs at one path.
    """
    seen: dict[Path, str] = {}
    for name in options:
        path = getattr(args, name, None)
        if path is None or (name == "json" and path == STDOUT):
            continue
        option = "--" + name.replace("_", "-")
        target = check_output_file(path, option).resolve()
        for given in inputs:
            if given is not None and target == Path(given).resolve():
                raise UsageError(f"{option} {path}: would overwrite the input {given}")
        if target in seen:
            raise UsageError(f"{option} and {seen[target]} are the same file: {path}")
        seen[target] = option


def _warn(command: str, messages: list[str]) -> None:
    for message in messages:
        print(f"pyengine {command}: warning: {message}", file=sys.stderr)


def _progress_bar(total: int | None, description: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="frame",
        desc=description,
        file=sys.stderr,
        disable=quiet,
        leave=False,
        dynamic_ncols=True,
    )


# ---------------------------------------------------------------- count


def run_count(args: argparse.Namespace) -> int:
    """``pyengine count``: count repetitions in a video or a landmark file."""
    from ..video.landmark_file import load_landmarks
    from ..video.pipeline import RunInterrupted

    if args.video is None and args.landmarks is None:
        raise UsageError("give a VIDEO to count, or --landmarks FILE")
    if args.out is not None and args.video is None:
        raise UsageError("--out needs the VIDEO to draw on")
    if args.save_landmarks is not None and args.landmarks is not None:
        raise UsageError("--save-landmarks needs the pose model to run; drop --landmarks")
    if args.out_quality is not None and args.out is None:
        raise UsageError("--out-quality needs --out")
    check_outputs(args, ("out", "json", "save_landmarks"), inputs=(args.video, args.landmarks))
    log = log_from_args(args)
    started_at = datetime.now(timezone.utc)
    samples = load_samples(args.samples) if args.samples else default_samples()
    classifier = _classifier(args, samples)
    counting = _new_counting(args, classifier)
    warnings = sample_set_warnings(
        samples.class_counts(), classifier.settings, counting.target_classes
    )
    track = load_landmarks(args.landmarks) if args.landmarks else None
    run = _CountRun(args, counting)
    interruption = None
    try:
        if track is not None and args.out is None:  # the video would only be decoded for nothing
            result = run.landmarks(track)
        else:
            result = run.video(track)
    except RunInterrupted as stop:
        result, interruption = stop.result, stop
    result.warnings[:0] = warnings + run.warnings
    failures = run.save_landmarks(result)
    report = _report(args, result, counting, track)
    failures += _write_report(report, args.json)
    _warn("count", result.warnings)
    _print_outcome(args, report, result)
    for failure in failures:
        print(f"pyengine count: error: {failure}", file=sys.stderr)
    if interruption is not None:
        raise interruption  # the exit status says which signal; the report is written
    if log is not None:
        name = args.video if args.video is not None else args.landmarks
        save_report(log, report, source="count", name=name, started_at=started_at, quiet=args.quiet)
    return EXIT_OUTPUT_FAILED if failures else 0


class _CountRun:
    """One ``count`` job: the video or landmark run, and the outputs that go with it."""

    def __init__(self, args: argparse.Namespace, counting) -> None:
        self.args = args
        self.counting = counting
        self.identity: SourceIdentity | None = None  # the video's, once hashed
        self.failures: list[str] = []
        self.warnings: list[str] = []

    def landmarks(self, track):
        from ..video.pipeline import run_landmarks

        name = Path(self.args.landmarks).name
        with _progress_bar(len(track), name, self.args.quiet) as bar:
            return run_landmarks(track, self.counting, on_frame=lambda _: bar.update())

    def video(self, track):
        from ..pose import open_estimator
        from ..video.landmark_file import source_identity
        from ..video.readers import open_source

        with open_source(self.args.video) as reader:
            if hasattr(reader, "path"):
                self.identity = source_identity(reader.path)
            if track is not None:
                poses = self._replay(track, reader.info)
                return self._run(reader, poses, max_frames=len(track))
            with open_estimator(self.args.model) as estimator:
                return self._run(reader, estimator)

    def _replay(self, track, info):
        from ..video.landmark_file import ReplayPoses, check_source

        where = str(self.args.landmarks)
        self.warnings += check_source(
            track, info, self.identity, where=where, force=self.args.force
        )
        return ReplayPoses(track.landmarks, track.valid, name=track.model)

    def _run(self, reader, pose, max_frames=None):
        from ..errors import VideoError
        from ..video.pipeline import run_video
        from ..video.writer import AnnotatedVideoFile

        args, info = self.args, reader.info
        total = (
            info.n_frames if max_frames is None else min(max_frames, info.n_frames or max_frames)
        )
        with _progress_bar(total, Path(info.source).name, args.quiet) as bar:
            run = {
                "on_frame": lambda _: bar.update(),
                "record_landmarks": args.save_landmarks is not None,
                "max_frames": max_frames,
            }
            if args.out is None:
                return run_video(reader, pose, self.counting, **run)
            renderer = _renderer(info, self.counting)
            sink = AnnotatedVideoFile(
                args.out,
                info.fps,
                info.width,
                info.height,
                source=args.video,
                quality=args.out_quality,
            )
            result = None
            try:
                with sink:
                    result = run_video(
                        reader, pose, self.counting, renderer=renderer, sink=sink, **run
                    )
            except VideoError as exc:
                if result is None:  # the video could not even be written: nothing to keep
                    raise
                self.failures.append(f"--out: {exc}")
            return result

    def save_landmarks(self, result) -> list[str]:
        """Save the recorded landmarks (also of an interrupted run); the failures so far."""
        from ..video.landmark_file import save_landmarks

        failures = self.failures
        if self.args.save_landmarks is None or result.landmarks is None:
            return failures
        try:
            save_landmarks(result.to_track(identity=self.identity), self.args.save_landmarks)
        except OSError as exc:
            failures.append(f"--save-landmarks {self.args.save_landmarks}: {exc}")
        return failures


def _report(args: argparse.Namespace, result, counting, track) -> dict:
    from ..report import build_report

    return build_report(
        result,
        counting,
        samples_source=os.fspath(args.samples) if args.samples else "bundled",
        input_path=args.video,
        landmarks_path=args.landmarks,
        landmarks_model=None if track is None else track.model,
    )


def _write_report(report: dict, destination: str | None) -> list[str]:
    """Write the report where ``--json`` says; on failure, print it so it is not lost."""
    import json

    from ..report import write_report

    if destination is None:
        return []
    if destination == STDOUT:
        print(json.dumps(report, indent=2, allow_nan=False))
        return []
    try:
        write_report(report, destination)
    except OSError as exc:
        print(json.dumps(report, indent=2, allow_nan=False))
        return [f"--json {destination}: {exc}; the report was printed to standard output instead"]
    return []


def _print_outcome(args: argparse.Namespace, report: dict, result) -> None:
    from ..report import format_summary

    stream = sys.stderr if args.json == STDOUT else sys.stdout  # stdout holds the JSON
    if args.quiet:
        for name, count in result.counts.items():
            print(f"{name} {count}", file=stream)
    else:
        print(format_summary(report), file=stream)


def _new_counting(args, classifier):
    from ..counting import CountingStage, target_classes

    return CountingStage(classifier, target_classes(classifier.samples, args.exercises))


def _renderer(info, counting):
    from ..video.render import Renderer

    settings = counting.settings
    return Renderer(
        info.width,
        info.height,
        counting.target_classes,
        top_n=settings.top_n_by_mean_distance,
        thresholds=(settings.enter_threshold, settings.exit_threshold),
    )


# ---------------------------------------------------------------- demo


def run_demo_command(args: argparse.Namespace) -> int:
    """``pyengine demo``: count a synthesised workout and compare with its truth."""
    from ..demo import run_demo
    from ..report import build_report, format_summary
    from ..synthetic import WorkoutPlan, truth_table

    check_outputs(args, ("out", "json"))
    classifier = _classifier(args, default_samples())
    plan = WorkoutPlan(
        reps={"squats_down": args.squats, "pushups_down": args.pushups}, seed=args.seed
    )
    workout, result, counting = run_demo(classifier, plan, out=args.out)
    report = build_report(
        result, counting, samples_source="bundled", landmarks_model=workout.track.model
    )
    _warn("demo", result.warnings)
    failures = _write_report(report, args.json)
    stream = sys.stderr if args.json == STDOUT else sys.stdout
    track = workout.track
    if not args.quiet:
        print(
            f"synthesised workout (seed {args.seed}): {len(track)} frames at "
            f"{track.info.fps:g} fps ({len(track) / track.info.fps:.1f} s), "
            f"{len(track) - track.n_valid} without a pose",
            file=stream,
        )
        for name, (up, down) in workout.keyframe_samples.items():
            print(f"  {name}: interpolating bundled samples {up!r} <-> {down!r}", file=stream)
        print(file=stream)
    print(truth_table(workout, result.counts, track.info.fps), file=stream)
    if not args.quiet:
        print(file=stream)
        print(format_summary(report), file=stream)
    for failure in failures:
        print(f"pyengine demo: error: {failure}", file=sys.stderr)
    if failures:
        return EXIT_OUTPUT_FAILED
    return 0 if result.counts == workout.truth_counts else 1
