"""The JSON report of a counting run.

The format is described in ``docs/report_format.md`` and pinned by the JSON Schema
(draft 2020-12) shipped beside this module as ``schema.json``.
"""

from __future__ import annotations

import json
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

from .._files import atomic_write_text
from .._version import __version__
from ..counting import CountingStage
from ..video.pipeline import PipelineResult

#: Bumped when a field changes meaning or disappears (adding fields keeps the version).
REPORT_FORMAT_VERSION = 1
SCHEMA_FILE = "schema.json"


def load_schema() -> dict[str, Any]:
    """The report's JSON Schema (draft 2020-12), as shipped with the package."""
    ref = resources.files("pyengine.report") / SCHEMA_FILE
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
            "rotation": result.info.rotation,
            "mirrored": result.info.mirrored,
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
            **counting.settings.as_dict(),
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
        "interrupted": result.interrupted,
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
