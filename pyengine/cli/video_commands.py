"""``pyengine count`` (a video or a landmark file) and ``pyengine demo`` (no input at all)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..classifier import PoseClassifier
from ..errors import UsageError
from ..samples import SampleSet, default_samples, load_samples
from ._arguments import (
    add_backend_argument,
    add_exercise_argument,
    add_model_argument,
    add_samples_argument,
    add_settings_arguments,
    settings_from_args,
)


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
        "optional; given, it is used only to draw --out)",
    )
    add_exercise_argument(parser)
    parser.add_argument(
        "--out", metavar="VIDEO", help="write the annotated video here (.mp4 or .avi)"
    )
    parser.add_argument("--json", metavar="FILE", help="write the JSON report here")
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
    parser.add_argument("--json", metavar="FILE", help="write the JSON report here")
    _add_classifier_options(parser, samples=False)
    parser.add_argument("--quiet", action="store_true", help="print only the truth table")
    parser.set_defaults(run=run_demo_command)


def _add_classifier_options(parser: argparse.ArgumentParser, *, samples: bool = True) -> None:
    group = parser.add_argument_group("classifier, smoothing and counting")
    if samples:
        add_samples_argument(group)
    add_backend_argument(group)
    add_settings_arguments(group)


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


# ---------------------------------------------------------------- shared set-up


def _classifier(args: argparse.Namespace, samples: SampleSet) -> PoseClassifier:
    return PoseClassifier(samples, settings_from_args(args), backend=args.backend)


def _check_output_folder(option: str, path: str | None) -> None:
    if path is not None and not Path(path).resolve().parent.is_dir():
        raise UsageError(f"{option} {path}: folder {Path(path).resolve().parent} does not exist")


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
    from ..report import build_report, format_summary, write_report
    from ..video.landmark_file import load_landmarks

    if args.video is None and args.landmarks is None:
        raise UsageError("give a VIDEO to count, or --landmarks FILE")
    if args.out is not None and args.video is None:
        raise UsageError("--out needs the VIDEO to draw on")
    if args.save_landmarks is not None and args.landmarks is not None:
        raise UsageError("--save-landmarks needs the pose model to run; drop --landmarks")
    for option in ("out", "json", "save_landmarks"):
        _check_output_folder(f"--{option.replace('_', '-')}", getattr(args, option))
    samples = load_samples(args.samples) if args.samples else default_samples()
    classifier = _classifier(args, samples)
    counting = _new_counting(args, classifier)
    track = load_landmarks(args.landmarks) if args.landmarks else None
    landmarks_model = None if track is None else track.model
    if track is not None and args.out is None:  # the video would only be decoded for nothing
        result = _count_landmarks(args, track, counting)
    else:
        result = _count_video(args, track, counting)
    report = build_report(
        result,
        counting,
        samples_source=os.fspath(args.samples) if args.samples else "bundled",
        input_path=args.video,
        landmarks_path=args.landmarks,
        landmarks_model=landmarks_model,
    )
    _warn("count", result.warnings)
    if args.json is not None:
        write_report(report, args.json)
    if args.quiet:
        for name, count in result.counts.items():
            print(f"{name} {count}")
    else:
        print(format_summary(report))
    return 0


def _new_counting(args, classifier):
    from ..counting import CountingStage, target_classes

    return CountingStage(classifier, target_classes(classifier.samples, args.exercises))


def _count_landmarks(args: argparse.Namespace, track, counting):
    from ..video.pipeline import run_landmarks

    with _progress_bar(len(track), Path(args.landmarks).name, args.quiet) as bar:
        return run_landmarks(track, counting, on_frame=lambda _: bar.update())


def _count_video(args: argparse.Namespace, track, counting):
    from ..pose import open_estimator
    from ..video.landmark_file import save_landmarks
    from ..video.readers import open_source

    with open_source(args.video) as reader:
        if track is not None:
            poses = _replay(track, reader.info)
            result = _run_on_reader(args, reader, poses, counting, max_frames=len(track))
        else:
            with open_estimator(args.model) as estimator:
                result = _run_on_reader(args, reader, estimator, counting)
    if args.save_landmarks is not None:
        save_landmarks(result.to_track(), args.save_landmarks)
    return result


def _replay(track, info):
    from ..errors import LandmarkFileError
    from ..video.landmark_file import ReplayPoses

    if (track.info.width, track.info.height) != (info.width, info.height):
        raise LandmarkFileError(
            f"the landmark file is for a {track.info.width}x{track.info.height} video, "
            f"but {info.source} is {info.width}x{info.height}"
        )
    return ReplayPoses(track.landmarks, track.valid, name=track.model)


def _run_on_reader(args: argparse.Namespace, reader, pose, counting, max_frames=None):
    from ..video.pipeline import run_video
    from ..video.writer import AnnotatedVideoFile

    info = reader.info
    total = info.n_frames if max_frames is None else min(max_frames, info.n_frames or max_frames)
    with _progress_bar(total, Path(info.source).name, args.quiet) as bar:
        run = {
            "on_frame": lambda _: bar.update(),
            "record_landmarks": args.save_landmarks is not None,
            "max_frames": max_frames,
        }
        if args.out is None:
            return run_video(reader, pose, counting, **run)
        renderer = _renderer(info, counting)
        with AnnotatedVideoFile(args.out, info.fps, info.width, info.height) as sink:
            return run_video(reader, pose, counting, renderer=renderer, sink=sink, **run)


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
    from ..report import build_report, format_summary, write_report
    from ..synthetic import WorkoutPlan, truth_table

    for option in ("out", "json"):
        _check_output_folder(f"--{option}", getattr(args, option))
    classifier = _classifier(args, default_samples())
    plan = WorkoutPlan(
        reps={"squats_down": args.squats, "pushups_down": args.pushups}, seed=args.seed
    )
    workout, result, counting = run_demo(classifier, plan, out=args.out)
    report = build_report(
        result, counting, samples_source="bundled", landmarks_model=workout.track.model
    )
    _warn("demo", result.warnings)
    if args.json is not None:
        write_report(report, args.json)
    track = workout.track
    if not args.quiet:
        print(
            f"synthesised workout (seed {args.seed}): {len(track)} frames at "
            f"{track.info.fps:g} fps ({len(track) / track.info.fps:.1f} s), "
            f"{len(track) - track.n_valid} without a pose"
        )
        for name, (up, down) in workout.keyframe_samples.items():
            print(f"  {name}: interpolating bundled samples {up!r} <-> {down!r}")
        print()
    print(truth_table(workout, result.counts, track.info.fps))
    if not args.quiet:
        print()
        print(format_summary(report))
    return 0 if result.counts == workout.truth_counts else 1
