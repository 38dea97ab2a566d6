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
