"""The version is written once (pyproject.toml); every place that reports it agrees."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

import pyengine
from pyengine import backends
from pyengine.cli import main

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def written_version() -> str:
    # The one line CMake also reads (CMakeLists.txt).
    found = re.search(r'^version = "([^"]+)"$', PYPROJECT.read_text(encoding="utf-8"), re.M)
    assert found, "pyproject.toml has no version line"
    return found.group(1)


def test_package_metadata_and_dunder_version_are_pyprojects():
    assert pyengine.__version__ == metadata.version("pyengine") == written_version()


def test_the_compiled_core_reports_the_same_version():
    if "native" not in backends.available():
        pytest.skip(f"the native back end is not built: {backends.unavailable_reasons()}")
    from pyengine import _native

    assert _native.__version__ == written_version()


def test_info_and_version_option_print_it(capsys):
    assert main(["info"]) == 0
    assert f"pyengine {written_version()}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"pyengine {written_version()}"


def test_the_report_names_it():
    from pyengine import PoseClassifier, default_samples
    from pyengine.demo import run_demo
    from pyengine.report import build_report
    from pyengine.synthetic import WorkoutPlan

    _, result, counting = run_demo(
        PoseClassifier(default_samples()), WorkoutPlan(reps={"squats_down": 1})
    )
    report = build_report(result, counting, samples_source="bundled")
    assert report["tool"]["version"] == written_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", report["tool"]["version"])
