"""`--model lite|full|heavy`: MediaPipe's three BlazePose landmark models.

Only *full* ships with mediapipe==0.10.21. The lite and heavy files in
``../shared/data/models`` are put where MediaPipe looks for them (in this environment's
mediapipe package, never in the repository) by :func:`install_legacy_model`, the same
function as ``pyengine install-model``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pyengine.cli import main
from pyengine.pose import (
    LEGACY_MODEL_FILES,
    install_legacy_model,
    installed_legacy_models,
    legacy_model_folder,
    open_estimator,
)

CLIP = "squats_side_gym"


@pytest.fixture(scope="session")
def legacy_models(shared_data: Path) -> dict[str, Path]:
    """Install the lite and heavy model files from the shared data; skip if absent."""
    installed = {}
    for name in ("lite", "heavy"):
        source = shared_data / "models" / LEGACY_MODEL_FILES[name]
        if not source.is_file():
            pytest.skip(f"{source} not found: the {name} model cannot be tested")
        installed[name] = install_legacy_model(source)
    return installed


def test_the_models_land_where_mediapipe_looks(legacy_models):
    folder = legacy_model_folder()
    for name, path in legacy_models.items():
        assert path == folder / LEGACY_MODEL_FILES[name]
    found = installed_legacy_models()
    assert all(found[name] is not None for name in ("lite", "full", "heavy"))
    # installing again is a no-op on an identical file
    assert install_legacy_model(legacy_models["lite"]) == legacy_models["lite"]


@pytest.mark.parametrize("name", ["lite", "heavy"])
def test_each_model_opens_under_its_own_name(legacy_models, name):
    with open_estimator(name) as estimator:
        assert estimator.name == f"mediapipe-legacy-{name}"


@pytest.mark.video
@pytest.mark.parametrize("name", ["lite", "heavy"])
def test_each_model_counts_the_squat_clip(legacy_models, videos_dir, tmp_path, name, capsys):
    with open(videos_dir / "ground_truth.csv", newline="", encoding="utf-8") as file:
        truth = {Path(r["file"]).stem: int(r["reps"]) for r in csv.DictReader(file)}
    report_path = tmp_path / "report.json"
    argv = ["count", str(videos_dir / f"{CLIP}.mp4"), "--model", name, "--quiet"]
    assert main([*argv, "--json", str(report_path)]) == 0, capsys.readouterr().err
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["settings"]["model"] == f"mediapipe-legacy-{name}"
    assert report["counts"] == {"squats_down": truth[CLIP], "pushups_down": 0}
