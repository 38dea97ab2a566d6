"""Every example in README.md runs as written.

Python blocks run in a child process, in a folder holding what they name: ``workout.mp4``
(a real clip from the shared data) and ``person.jpg`` (one of its frames). The webcam
example runs as written (no camera here: the clear error it must give) and once more
with ``source`` set to the clip, as its text says. Every ``pyengine`` command line in
the shell blocks must parse.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pyengine.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
CLIP = "squats_side_gym.mp4"
WEBCAM = 'source = "camera:0"'


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


PYTHON_BLOCKS = _blocks("python")


def _needs_files(code: str) -> bool:
    return "workout.mp4" in code or "person.jpg" in code


def _run(code: str, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.fixture(scope="module")
def media(videos_dir, tmp_path_factory) -> Path:
    """A folder with workout.mp4 (a real squat clip) and person.jpg (its frame 60)."""
    import cv2

    from pyengine.video import VideoReader

    folder = tmp_path_factory.mktemp("readme")
    (folder / "workout.mp4").symlink_to(videos_dir / CLIP)
    with VideoReader(folder / "workout.mp4") as reader:
        for frame in reader:
            if frame.index == 60:
                cv2.imwrite(str(folder / "person.jpg"), frame.image)
                break
    return folder


def test_the_readme_has_the_examples_users_look_for():
    assert len(PYTHON_BLOCKS) >= 4
    assert any("person.jpg" in code for code in PYTHON_BLOCKS)  # from an image
    assert any("extract_landmarks" in code for code in PYTHON_BLOCKS)  # from a video
    webcam = [code for code in PYTHON_BLOCKS if WEBCAM in code]
    assert len(webcam) == 1
    assert len([line for line in webcam[0].splitlines() if line.strip()]) <= 10


@pytest.mark.parametrize(
    "code",
    [c for c in PYTHON_BLOCKS if not _needs_files(c) and WEBCAM not in c],
    ids=lambda code: code.strip().splitlines()[-1][:40],
)
def test_self_contained_examples_run(code, tmp_path):
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.video
@pytest.mark.parametrize(
    "code",
    [c for c in PYTHON_BLOCKS if _needs_files(c)],
    ids=lambda code: code.strip().splitlines()[-1][:40],
)
def test_examples_on_a_real_clip_run(code, media, tmp_path):
    for name in ("workout.mp4", "person.jpg"):
        (tmp_path / name).symlink_to(media / name)
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr
    if "person.jpg" in code:
        assert "nose at x=" in done.stdout
    if "save_landmarks" in code:
        assert "354 frames, 354 with a pose, upright 1280x720" in done.stdout
        assert (tmp_path / "workout.npz").is_file()


def _webcam_example() -> str:
    (code,) = [c for c in PYTHON_BLOCKS if WEBCAM in c]
    return code


@pytest.mark.skipif(Path("/dev/video0").exists(), reason="a camera is attached: it would run on")
def test_the_webcam_example_without_a_webcam_says_so(tmp_path):
    done = _run(_webcam_example(), tmp_path)
    assert done.returncode == 1
    assert "CameraError: no camera at index 0" in done.stderr


@pytest.mark.video
def test_the_webcam_example_counts_a_video(media):
    done = _run(_webcam_example().replace(WEBCAM, 'source = "workout.mp4"'), media)
    assert done.returncode == 0, done.stderr
    # (text mode reads the carriage returns of the live count as line ends)
    assert done.stdout.splitlines()[-1] == "squats: 3"


def test_every_command_line_in_the_readme_parses():
    parser = build_parser()
    lines = [
        line.split("#")[0].strip()
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.startswith("pyengine ")
    ]
    assert len(lines) >= 8
    for line in lines:
        try:
            parser.parse_args(shlex.split(line)[1:])
        except SystemExit as exc:
            raise AssertionError(f"README command does not parse: {line}") from exc
