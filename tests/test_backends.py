"""The back-end dispatcher: what runs where, and that CI really tests every back end."""

from __future__ import annotations

import os

import pytest

from pyengine import backends, cli

ALL = ("native", "numba", "reference")


def test_reference_is_always_available():
    assert "reference" in backends.available()
    assert backends.resolve("reference").NAME == "reference"


def test_available_backends_are_fastest_first():
    names = backends.available()
    assert names == [n for n in backends.PREFERENCE if n in names]
    assert backends.resolve("auto").NAME == names[0]


@pytest.mark.skipif(not os.environ.get("CI"), reason="only CI promises a full build (CI unset)")
def test_ci_builds_and_tests_every_backend():
    # The parity tests parametrise over available(); a back end that failed to build
    # would silently drop out of them, so CI insists on all three.
    assert sorted(backends.available()) == sorted(ALL), backends.unavailable_reasons()


def test_info_command_names_the_automatic_choice(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"auto picks {backends.available()[0]!r}" in out


def test_an_install_without_the_compiled_core_runs_on_numba(tmp_path):
    # PYENGINE_BUILD_NATIVE=0 is the way to install without a C++ compiler: the wheel
    # must build, hold no extension, and the package must fall back with the reason.
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYENGINE_BUILD_NATIVE": "0"}
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(repo), "--no-deps", "-q", "-w", str(tmp_path)],
        env={**env, "PIP_CONFIG_SETTINGS": f"build-dir={tmp_path / 'build'}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("pyengine-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-t", str(target), str(wheel)],
        check=True,
    )
    assert not list(target.glob("pyengine/_native*.so"))
    # -S: no .pth files, so an editable install of this checkout cannot shadow the wheel;
    # the dependencies still come from this environment's site-packages.
    import site

    env["PYTHONPATH"] = os.pathsep.join([str(target), *site.getsitepackages()])
    env["PYENGINE_BACKEND"] = ""
    probe = "from pyengine import backends; print(backends.available())"
    run = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert run.stdout.strip() == "['numba', 'reference']"
    info = subprocess.run(
        [sys.executable, "-S", "-m", "pyengine", "info"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert "native: unavailable: the compiled extension pyengine._native is not available" in (
        info.stdout
    )
