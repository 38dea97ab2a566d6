"""The three BlazePose models (lite, full, heavy) on every shared clip: counts and ms/frame.

Run with ``pytest benchmarks/bench_models.py --benchmark-enable -s`` (about 15 minutes
on two cores), or ``python benchmarks/bench_models.py``. The lite and heavy model files
come from ``../shared/data/models`` (installed into this environment's MediaPipe with
:func:`pyengine.pose.install_legacy_model`). For each model and clip it prints the
counts of the bundled classes (published counter, bundled samples) and the pose model's
mean time per frame; the models are compared in one run, on the same machine state.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

import pytest

from pyengine import PoseClassifier, default_samples
from pyengine.counting import CountingStage
from pyengine.errors import ModelUnavailableError
from pyengine.pose import install_legacy_model, open_estimator
from pyengine.video.pipeline import run_video
from pyengine.video.readers import VideoReader

MODELS = ("lite", "full", "heavy")
TARGETS = ("squats_down", "pushups_down")
CLASS_OF_EXERCISE = {"squat": "squats_down", "pushup": "pushups_down"}


def shared_data() -> Path:
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    return Path(os.environ.get("PYENGINE_SHARED_DATA", default))


def install_models(data: Path) -> list[str]:
    """Install the lite and heavy files; the models that can run."""
    usable = ["full"]
    for name in ("lite", "heavy"):
        try:
            install_legacy_model(data / "models" / f"pose_landmark_{name}.tflite")
        except ModelUnavailableError as exc:
            print(f"{name}: not measured ({exc})", file=sys.stderr)
            continue
        usable.append(name)
    return [m for m in MODELS if m in usable]


def expected_counts(data: Path) -> dict[str, dict[str, int]]:
    """Per clip, the expected count of each target class (0 for the clip's other class)."""
    with open(data / "videos" / "ground_truth.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    expected = {}
    for row in rows:
        counts = dict.fromkeys(TARGETS, 0)
        if row["exercise"] in CLASS_OF_EXERCISE:
            counts[CLASS_OF_EXERCISE[row["exercise"]]] = int(row["reps"])
        expected[Path(row["file"]).stem] = counts
    return expected


def count_clip(video: Path, model: str, classifier: PoseClassifier) -> tuple[dict, float]:
    """Counts of ``video`` with ``model``, and the pose model's mean ms per frame."""
    counting = CountingStage(classifier, TARGETS)
    with VideoReader(video) as reader, open_estimator(model) as estimator:
        result = run_video(reader, estimator, counting)
    return result.counts, result.latency["pose"].mean_ms


def measure(data: Path) -> tuple[list[str], dict, dict]:
    """Counts per (model, clip) and mean ms/frame per model over all frames."""
    models = install_models(data)
    classifier = PoseClassifier(default_samples())
    clips = sorted(expected_counts(data))
    counts: dict[tuple[str, str], dict] = {}
    ms: dict[str, list[float]] = {m: [] for m in models}
    for clip in clips:  # clip-major: the models share each stretch of machine load
        for model in models:
            start = time.perf_counter()
            counts[model, clip], clip_ms = count_clip(
                data / "videos" / f"{clip}.mp4", model, classifier
            )
            ms[model].append(clip_ms)
            took = time.perf_counter() - start
            print(f"  {clip} {model}: {counts[model, clip]} ({took:.0f} s)", file=sys.stderr)
    return models, counts, {m: sum(v) / len(v) for m, v in ms.items()}


def table(data: Path, models: list[str], counts: dict, ms: dict) -> str:
    """A Markdown table: expected and counted squats/push-ups per clip and model."""
    expected = expected_counts(data)

    def cell(values: dict) -> str:
        return f"{values['squats_down']} / {values['pushups_down']}"

    lines = [
        "| clip (squats / push-ups) | expected | " + " | ".join(models) + " |",
        "|---|---|" + "---|" * len(models),
    ]
    exact = dict.fromkeys(models, 0)
    for clip in sorted(expected):
        row = [clip, cell(expected[clip])]
        for model in models:
            row.append(cell(counts[model, clip]))
            exact[model] += counts[model, clip] == expected[clip]
        lines.append("| " + " | ".join(row) + " |")
    lines.append(
        "| clips counted exactly | | " + " | ".join(f"{exact[m]} of 8" for m in models) + " |"
    )
    lines.append(
        "| pose model, ms per frame | | " + " | ".join(f"{ms[m]:.1f}" for m in models) + " |"
    )
    return "\n".join(lines)


def test_models_on_the_shared_clips(benchmark):
    data = shared_data()
    if not (data / "videos").is_dir():
        pytest.skip(f"shared test data not found at {data} (set PYENGINE_SHARED_DATA)")
    models, counts, ms = benchmark.pedantic(measure, args=(data,), rounds=1, iterations=1)
    benchmark.extra_info.update({f"{m}_pose_ms": v for m, v in ms.items()})
    print("\n" + table(data, models, counts, ms))


if __name__ == "__main__":
    folder = shared_data()
    print(table(folder, *measure(folder)))
