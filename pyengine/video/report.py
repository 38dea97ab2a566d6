"""The JSON report of a counting run, and the summary printed from it.

The format is described in ``docs/report_format.md`` and pinned by the JSON Schema
(draft 2020-12) shipped beside this module as ``report_schema.json``.
"""

from __future__ import annotations

import json
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

from .. import __version__
from .._files import atomic_write_text
from .pipeline import STAGES, CountingStage, PipelineResult

#: Bumped when a field changes meaning or disappears (adding fields keeps the version).
REPORT_FORMAT_VERSION = 1
SCHEMA_FILE = "report_schema.json"


def load_schema() -> dict[str, Any]:
    """The report's JSON Schema (draft 2020-12), as shipped with the package."""
    ref = resources.files("pyengine.video") / SCHEMA_FILE
    return json.loads(ref.read_text(encoding="utf-8"))


def build_report(
    result: PipelineResult,
    counting: CountingStage,
    *,
    samples_source: str,
    input_path: str | os.PathLike[str] | None = None,
    landmarks_path: str | os.PathLike[str] | None = None,
    landmarks_model: str | None = None,
) -> dict[str, Any]:
    """Describe one run as a JSON-ready dict.

    Parameters
    ----------
    result : PipelineResult
        What the run measured.
    counting : CountingStage
        The stage that ran (its classifier, targets and settings).
    samples_source : str
        Path of the sample file or folder, or ``"bundled"``.
    input_path : str or os.PathLike, optional
        The video (None when only saved landmarks were classified).
    landmarks_path : str or os.PathLike, optional
        The landmark file classified instead of running the pose model.
    landmarks_model : str, optional
        The pose model that produced the saved landmarks.

    Returns
    -------
    dict
        Valid against :func:`load_schema`.
    """
    classifier = counting.classifier
    params = classifier.params
    settings = counting.settings
    return {
        "format": "pyengine-count-report",
        "format_version": REPORT_FORMAT_VERSION,
        "tool": {"name": "pyengine", "version": __version__},
        "input": {
            "source": str(result.info.source),
            "path": None if input_path is None else os.fspath(input_path),
            "landmarks_path": None if landmarks_path is None else os.fspath(landmarks_path),
            "landmarks_model": landmarks_model,
            "fps": _finite(result.info.fps),
            "width": result.info.width,
            "height": result.info.height,
            "frames": result.info.n_frames,
            "frames_processed": result.n_frames,
        },
        "samples": {
            "source": samples_source,
            "classes": list(classifier.class_names),
            "count": len(classifier.samples),
            "per_class": classifier.samples.class_counts(),
        },
        "settings": {
            "backend": classifier.backend,
            "model": result.pose_model,
            "target_classes": list(counting.target_classes),
            "top_n_by_max_distance": params.top_n_by_max_distance,
            "top_n_by_mean_distance": params.top_n_by_mean_distance,
            "axes_weights": list(params.axes_weights),
            "torso_size_multiplier": params.torso_size_multiplier,
            "window_size": settings.window_size,
            "alpha": settings.alpha,
            "enter_threshold": settings.enter_threshold,
            "exit_threshold": settings.exit_threshold,
        },
        "counts": dict(result.counts),
        "repetitions": {
            name: [
                {
                    "start_frame": r.start_frame,
                    "start_s": _finite(r.start_s),
                    "end_frame": r.end_frame,
                    "end_s": _finite(r.end_s),
                }
                for r in reps
            ]
            for name, reps in result.repetitions.items()
        },
        "no_pose_frames": {
            "count": len(result.no_pose_frames),
            "ranges": [list(r) for r in result.no_pose_ranges()],
        },
        "latency_ms": {
            stage: {"mean": s.mean_ms, "p50": s.p50_ms, "p95": s.p95_ms, "n": s.n}
            for stage, s in result.latency.items()
        },
        "wall_time_s": result.wall_time_s,
        "effective_fps": result.effective_fps,
        "warnings": list(result.warnings),
    }


def write_report(report: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``report`` as indented JSON, atomically (never a half-written file).

    Raises
    ------
    OSError
        The folder does not exist or is not writable.
    """
    text = json.dumps(report, indent=2, allow_nan=False) + "\n"
    atomic_write_text(Path(path), text)


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


# ---------------------------------------------------------------- printed summary


def format_summary(report: dict[str, Any]) -> str:
    """A plain-text summary of a report: counts, repetitions, gaps, latency, speed."""
    lines = [_input_line(report), ""]
    lines += _counts_table(report)
    lines.append("")
    no_pose = report["no_pose_frames"]
    ranges = ", ".join(_range_text(a, b) for a, b in no_pose["ranges"][:8])
    more = " ..." if len(no_pose["ranges"]) > 8 else ""
    frames = report["input"]["frames_processed"]
    lines.append(
        f"frames without a pose: {no_pose['count']} of {frames}"
        + (f" ({ranges}{more})" if ranges else "")
    )
    lines.append("")
    lines += _latency_table(report["latency_ms"])
    settings = report["settings"]
    source = report["input"]["landmarks_model"] or "unknown model"
    model = settings["model"] or f"none (saved landmarks from {source})"
    lines.append("")
    lines.append(
        f"effective speed: {report['effective_fps']:.1f} fps over {frames} frames "
        f"({report['wall_time_s']:.2f} s); classifier back end: {settings['backend']}; "
        f"pose model: {model}"
    )
    return "\n".join(lines)


def _input_line(report: dict[str, Any]) -> str:
    info = report["input"]
    source = info["path"] or info["landmarks_path"] or info["source"]
    size = f"{info['width']}x{info['height']}" if info["width"] else "size unknown"
    return f"{source}: {info['frames_processed']} frames, {size}, {info['fps']:.3f} fps"


def _counts_table(report: dict[str, Any]) -> list[str]:
    width = max(len("class"), *(len(c) for c in report["counts"]))
    lines = [f"{'class':<{width}}  reps  repetitions (start-end, s)"]
    for name, count in report["counts"].items():
        reps = report["repetitions"][name]
        times = ", ".join(f"{r['start_s']:.2f}-{r['end_s']:.2f}" for r in reps)
        lines.append(f"{name:<{width}}  {count:>4}  {times or '-'}")
    return lines


def _latency_table(latency: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{'stage':<13} {'mean ms':>9} {'p50 ms':>9} {'p95 ms':>9} {'frames':>7}"]
    for stage in STAGES:
        if stage in latency:
            s = latency[stage]
            lines.append(
                f"{stage:<13} {s['mean']:>9.3f} {s['p50']:>9.3f} {s['p95']:>9.3f} {s['n']:>7}"
            )
    return lines


def _range_text(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"
