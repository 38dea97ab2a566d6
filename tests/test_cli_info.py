"""`pyengine info`, quiet output, and warnings about sample sets too small to count with."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_process import PYENGINE

from pyengine import default_samples
from pyengine.cli import main
from pyengine.pose import installed_legacy_models
from pyengine.settings import DEFAULT_SETTINGS, sample_set_warnings
from pyengine.video.landmark_file import LandmarkTrack, save_landmarks
from pyengine.video.readers import VideoInfo
from pyengine.video.writer import AnnotatedVideoFile


def _run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PYENGINE, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_info_shows_the_back_ends_and_the_pose_models():
    done = _run("info")
    assert done.returncode == 0, done.stderr
    assert "back ends available:" in done.stdout and "auto picks" in done.stdout
    for name, path in installed_legacy_models().items():
        shown = str(path) if path else "not installed (pose_landmark_"
        assert f"  {name:<6} {shown}" in done.stdout


def test_info_honours_pyengine_backend():
    done = _run("info", env={"PYENGINE_BACKEND": "reference"})
    assert "auto picks 'reference': PYENGINE_BACKEND" in done.stdout
    bogus = _run("info", env={"PYENGINE_BACKEND": "gpu"})
    assert bogus.returncode == 0
    assert "PYENGINE_BACKEND='gpu' cannot be used" in bogus.stdout


def test_install_model_refuses_what_is_not_the_model(tmp_path, capsys):
    unknown = tmp_path / "pose_landmark_mega.tflite"
    unknown.write_bytes(b"model")
    assert main(["install-model", str(unknown)]) == 2
    assert "expected one of pose_landmark_heavy.tflite" in capsys.readouterr().err
    impostor = tmp_path / "pose_landmark_lite.tflite"
    impostor.write_bytes(b"not the lite model")
    assert main(["install-model", str(impostor)]) == 2
    assert "is not the lite model of mediapipe==0.10.21" in capsys.readouterr().err


@pytest.fixture
def grey_clip(tmp_path) -> Path:
    path = tmp_path / "grey.mp4"
    with AnnotatedVideoFile(path, 25.0, 160, 120) as sink:
        for _ in range(4):
            sink.write(np.full((120, 160, 3), 128, np.uint8))
    return path


def test_quiet_by_default_and_everything_with_verbose(grey_clip):
    # MediaPipe and TensorFlow Lite print from C++ straight to the process's stderr.
    quiet = _run("count", str(grey_clip), "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert "XNNPACK" not in quiet.stderr and "W0000" not in quiet.stderr
    assert "pyengine count: warning: " in quiet.stderr  # pyengine's own words remain
    assert quiet.stderr.count("no pose was found in any of the 4 frames") == 1
    verbose = _run("count", str(grey_clip), "--quiet", "--verbose")
    assert verbose.returncode == 0
    assert "XNNPACK" in verbose.stderr  # the libraries' lines, for whoever wants them


def _tiny_sample_folder(folder: Path, per_class: int) -> Path:
    samples = default_samples()
    kept: dict[str, list[str]] = {}
    for name, label, fields in zip(samples.names, samples.labels, samples.fields):
        if len(kept.setdefault(label, [])) < per_class:
            kept[label].append(",".join((name, *fields)))
    folder.mkdir()
    for name, rows in kept.items():
        (folder / f"{name}.csv").write_text("".join(f"{row}\n" for row in rows))
    return folder


def test_a_handful_of_samples_gives_a_warning(tmp_path, capsys):
    samples = _tiny_sample_folder(tmp_path / "few", per_class=5)
    landmarks = default_samples().landmarks[:20]
    track = LandmarkTrack(
        landmarks, np.ones(20, bool), np.arange(20) / 25.0, VideoInfo("x", 25, 800, 600, 20), "m"
    )
    save_landmarks(track, tmp_path / "t.npz")
    report_path = tmp_path / "r.json"
    argv = ["count", "--landmarks", str(tmp_path / "t.npz"), "--samples", str(samples)]
    assert main([*argv, "--json", str(report_path), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "the sample set holds only 20 poses" in err
    assert "class 'squats_down' has only 5 samples" in err and "can never be counted" in err
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert any("holds only 20 poses" in w for w in report["warnings"])


def test_sample_set_warnings_follow_the_settings():
    counts = {"squats_down": 8, "squats_up": 30}
    assert sample_set_warnings({"squats_down": 225}, DEFAULT_SETTINGS, ["squats_down"]) == []
    (warning,) = sample_set_warnings(counts, DEFAULT_SETTINGS, ["squats_down"])
    assert "only 8 samples, fewer than top_n_by_mean_distance (10)" in warning
    settings = DEFAULT_SETTINGS.replace(enter_threshold=8.5, exit_threshold=4)
    (warning,) = sample_set_warnings(counts, settings, ["squats_down"])
    assert "can never be counted" in warning
