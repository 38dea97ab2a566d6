"""Outputs are checked before the work, and work done is never lost after it.

Every command that writes refuses a missing or read-only output folder with exit status
2 before it reads a frame. A read-only folder is made for real: as root (who may write
anywhere) by a read-only bind mount in a private mount namespace (``unshare``), else by
taking away the folder's write permission.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from cli_process import PYENGINE, RunningCommand

from pyengine.cli import main


def _read_only_runner(folder: Path):
    """A function running a command with ``folder`` read-only, or skip if that cannot be."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda argv: subprocess.run(argv, capture_output=True, text=True, timeout=120)
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root and 'unshare' is missing: cannot make a read-only folder")
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    prefix = [unshare, "--mount", "--propagation", "private", "sh", "-c", script, str(folder)]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {probe.stderr.strip()}")
    return lambda argv: subprocess.run(
        [*prefix, *argv], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def read_only(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    run = _read_only_runner(folder)
    yield folder, run
    folder.chmod(0o755)


@pytest.fixture
def tiny_video(tmp_path) -> Path:
    """Three grey frames: enough to be a readable video, nothing to find in it."""
    import numpy as np

    from pyengine.video.writer import AnnotatedVideoFile

    path = tmp_path / "tiny.mp4"
    with AnnotatedVideoFile(path, 25.0, 128, 96) as sink:
        for _ in range(3):
            sink.write(np.full((96, 128, 3), 100, np.uint8))
    return path


def _commands(video: Path, ro: Path, samples_csv: Path) -> dict[str, list[str]]:
    return {
        "count --json": ["count", str(video), "--json", str(ro / "r.json")],
        "count --out": ["count", str(video), "--out", str(ro / "a.mp4")],
        "count --save-landmarks": ["count", str(video), "--save-landmarks", str(ro / "l.npz")],
        "landmarks": ["landmarks", str(video), "-o", str(ro / "l.npz")],
        "demo --json": ["demo", "--json", str(ro / "r.json")],
        "demo --out": ["demo", "--out", str(ro / "d.mp4")],
        "export to a file": [
            "export",
            str(samples_csv.parent),
            str(ro / "s.csv"),
            "--to",
            "single",
        ],
        "export to a folder": ["export", str(samples_csv), str(ro / "classes")],
        "bootstrap": ["bootstrap", str(ro), "--csvs-out", str(ro / "c"), "--images-out", str(ro)],
    }


def test_a_read_only_folder_is_refused_before_any_work(read_only, tiny_video, tmp_path):
    ro, run = read_only
    samples = tmp_path / "samples" / "squats_down.csv"
    samples.parent.mkdir()
    samples.write_text("a," + ",".join(["1"] * 99) + "\n")
    for name, argv in _commands(tiny_video, ro, samples).items():
        start = time.perf_counter()
        done = run([*PYENGINE, *argv])
        seconds = time.perf_counter() - start
        assert done.returncode == 2, (name, done.stderr)
        assert f"cannot write in folder {ro}" in done.stderr, (name, done.stderr)
        assert "Traceback" not in done.stderr and "frame/s" not in done.stderr, name
        print(f"{name}: refused in {seconds:.2f} s")
    assert list(ro.iterdir()) == []


def test_missing_folders_and_folders_in_place_of_files(tmp_path, capsys):
    missing = tmp_path / "no" / "such" / "r.json"
    assert main(["demo", "--json", str(missing)]) == 2
    assert f"folder {missing.parent} does not exist" in capsys.readouterr().err
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "is a folder; give the name of a file" in capsys.readouterr().err
    assert main(["demo", "--json", str(tmp_path / "x.json"), "--out", str(tmp_path / "x.json")])
    assert "are the same file" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_count_will_not_overwrite_its_input(tiny_video, capsys):
    assert main(["count", str(tiny_video), "--out", str(tiny_video)]) == 2
    assert "would overwrite the input" in capsys.readouterr().err


def test_json_dash_puts_the_report_alone_on_stdout():
    done = subprocess.run(
        [*PYENGINE, "demo", "--json", "-"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # nothing but the report
    assert report["format"] == "pyengine-count-report" and report["interrupted"] is False
    assert "synthesised workout" in done.stderr  # the human summary goes to stderr


@pytest.mark.video
def test_a_write_that_fails_at_the_end_keeps_the_report(videos_dir, tmp_path):
    # The folder is fine when checked, and gone when the report is written.
    out = tmp_path / "gone"
    out.mkdir()
    video = videos_dir / "situps_side_gym.mp4"
    command = RunningCommand(["count", str(video), "--json", str(out / "report.json")])
    command.wait_for_frames(5)
    shutil.rmtree(out)
    assert command.finish() == 1, command.stderr
    stderr, stdout = command.stderr, command.stdout
    assert f"--json {out / 'report.json'}" in stderr
    assert "the report was printed to standard output instead" in stderr
    report = json.loads(stdout[stdout.index("{") : stdout.rindex("}") + 1])
    assert report["input"]["frames_processed"] == 987
    assert "Traceback" not in stderr
