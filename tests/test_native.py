"""Tests specific to the compiled back end (``pyengine._native`` and its C ABI).

Parity with the reference is in ``test_parity.py`` (it runs every available back end);
here: errors become Python exceptions with clear messages, the C++ sample loader agrees
with Python's, the GIL is released while classifying, the module is optional, and the C
example prints the same counts as Python.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pyengine import backends
from pyengine.samples import load_samples, write_class_folder
from pyengine.settings import Settings

native = pytest.importorskip(
    "pyengine.backends.native_backend", reason="pyengine._native is not built", exc_type=ImportError
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mlkit_csv(shared_data: Path) -> Path:
    path = shared_data / "mlkit" / "fitness_pose_samples.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="module")
def mlkit(mlkit_csv):
    return load_samples(mlkit_csv)


@pytest.fixture(scope="module")
def engine(mlkit):
    return native.Engine(mlkit.landmarks, mlkit.class_ids, len(mlkit.class_names), Settings())


# ---------------------------------------------------------------- errors


def test_wrong_shapes_raise_value_error_naming_the_shape(engine):
    with pytest.raises(
        ValueError, match=r"frames must have shape \(N, 33, 3\) or \(33, 3\), got \(2, 32, 3\)"
    ):
        engine.counts(np.zeros((2, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r"got \(99,\)"):
        engine.neighbours(np.zeros(99, np.float32))
    with pytest.raises(ValueError, match=r"landmarks must have shape"):
        native.embed(np.zeros((4, 3), np.float32))


def test_bad_engine_arguments_raise_value_error(mlkit):
    n = len(mlkit.class_names)
    bad_ids = mlkit.class_ids.copy()
    bad_ids[7] = n
    with pytest.raises(ValueError, match=rf"class id {n} of sample 7 is outside \[0, {n}\)"):
        native.Engine(mlkit.landmarks, bad_ids, n, Settings())
    with pytest.raises(ValueError, match=r"class_ids must have shape \(812,\), got \(811,\)"):
        native.Engine(mlkit.landmarks, mlkit.class_ids[:-1], n, Settings())
    with pytest.raises(ValueError, match=r"axes_weights\[2\] must be finite and >= 0, got -0.5"):
        native.Engine(mlkit.landmarks, mlkit.class_ids, n, Settings(axes_weights=(1.0, 1.0, -0.5)))
    with pytest.raises(ValueError, match=r"top_n_by_max_distance must be >= 1, got 0"):
        native.Engine(mlkit.landmarks, mlkit.class_ids, n, Settings(top_n_by_max_distance=0))


def test_a_sample_that_cannot_be_embedded_is_named(mlkit):
    landmarks = mlkit.landmarks.copy()
    landmarks[5] = 3.0  # every landmark on one point: pose size 0
    with pytest.raises(native.InvalidSampleError, match=r"sample 5 cannot be embedded"):
        native.Engine(landmarks, mlkit.class_ids, len(mlkit.class_names), Settings())
    assert issubclass(native.InvalidSampleError, ValueError)


def test_loader_errors_name_file_line_and_field(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(
        native.SampleFileError, match=re.escape(f"{missing}: no such file or folder")
    ):
        native.load_samples(missing)
    bad = tmp_path / "bad.csv"
    row = ["s1", "up"] + ["1.5"] * 99
    row[8] = "x7"
    bad.write_text("\r\n" + ",".join(row) + "\r\n")
    message = f"{bad}:2: field 9 (left_eye.x) is not a number: 'x7'"
    with pytest.raises(native.SampleFileError, match=re.escape(message)):
        native.load_samples(bad)
    assert issubclass(native.SampleFileError, ValueError)
    # The same words as the Python loader, for these and other malformed files.
    cases = {
        "short.csv": ",".join(["s1", "up"] + ["1"] * 98) + "\n",
        "inf.csv": ",".join(["s1", "up"] + ["1"] * 98 + ["1e39"]) + "\n",
        "noname.csv": ",".join([" ", "up"] + ["1"] * 99) + "\n",
        "empty.csv": "\r\n \r\n",
    }
    for name, text in {"bad.csv": None, **cases}.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(ValueError) as py_err:
            load_samples(path)
        with pytest.raises(native.SampleFileError) as cpp_err:
            native.load_samples(path)
        assert str(cpp_err.value) == str(py_err.value)


# ---------------------------------------------------------------- settings

PUBLISHED_SETTINGS = {
    "top_n_by_max_distance": 30,
    "top_n_by_mean_distance": 10,
    "axes_weights": [1.0, 1.0, 0.2],
    "torso_size_multiplier": 2.5,
    "window_size": 10,
    "alpha": 0.2,
    "enter_threshold": 6.0,
    "exit_threshold": 4.0,
}


def test_default_settings_are_the_published_ones():
    defaults = native._native.default_settings()
    assert defaults == PUBLISHED_SETTINGS
    assert list(defaults) == list(PUBLISHED_SETTINGS)
    assert native._native.validate_settings(**defaults) is None
    assert native._native.validate_settings() is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"top_n_by_max_distance": 0}, "top_n_by_max_distance must be >= 1, got 0"),
        ({"top_n_by_mean_distance": -2}, "top_n_by_mean_distance must be >= 1, got -2"),
        (
            {"top_n_by_mean_distance": 31},
            "top_n_by_mean_distance must not exceed top_n_by_max_distance (30), got 31",
        ),
        ({"axes_weights": (1, -0.5, 0.2)}, "axes_weights[1] must be finite and >= 0, got -0.5"),
        ({"axes_weights": [1, 1, np.inf]}, "axes_weights[2] must be finite and >= 0, got inf"),
        ({"axes_weights": (1, 1)}, "axes_weights must hold 3 numbers, got (1, 1)"),
        ({"torso_size_multiplier": 0}, "torso_size_multiplier must be finite and > 0, got 0.0"),
        ({"window_size": 0}, "window_size must be a positive integer, got 0"),
        ({"window_size": 2.5}, "window_size must be an integer, got 2.5"),
        ({"window_size": True}, "window_size must be an integer, got True"),
        ({"top_n_by_max_distance": 2**40}, "top_n_by_max_distance must be a 32-bit integer"),
        ({"alpha": 0}, "alpha must be in (0, 1], got 0.0"),
        ({"alpha": "0.5"}, "alpha must be a number, got '0.5'"),
        ({"enter_threshold": np.nan}, "enter_threshold must be finite, got nan"),
        ({"exit_threshold": 6}, "exit_threshold must be below enter_threshold (6.0), got 6.0"),
        ({"exit_threshold": 0}, "exit_threshold must be > 0, got 0.0: the confidence is never"),
        (
            {"enter_threshold": 10},
            "enter_threshold must be below top_n_by_mean_distance (10), got 10.0: the smoothed",
        ),
    ],
)
def test_each_settings_rule_rejects_with_the_setting_and_its_value(change, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        native._native.validate_settings(**{**PUBLISHED_SETTINGS, **change})


def test_valid_settings_at_the_edges_pass():
    edges = {
        "top_n_by_max_distance": np.int64(7),
        "top_n_by_mean_distance": 7,
        "axes_weights": np.zeros(3),
        "window_size": 1,
        "alpha": 1,
        "enter_threshold": np.nextafter(7.0, 0.0),
        "exit_threshold": 1e-12,
    }
    assert native._native.validate_settings(**edges) is None


def test_values_in_messages_are_written_like_python_repr():
    rng = np.random.default_rng(11)
    magnitudes = 10.0 ** rng.uniform(-320, 308, 300) * rng.uniform(1, 9.9, 300)
    specials = [5e-324, 1e-5, 1e-4, 0.1, 1e15, 1e16, 123456789012345678.0, 1.0000000000000002]
    for value in [*magnitudes, *specials]:
        value = -float(value)  # negative: always rejected
        with pytest.raises(ValueError) as err:
            native._native.validate_settings(torso_size_multiplier=value)
        assert str(err.value) == f"torso_size_multiplier must be finite and > 0, got {value!r}"
    with pytest.raises(ValueError, match=r"got -0\.0$"):
        native._native.validate_settings(torso_size_multiplier=-0.0)


def test_engine_and_embed_use_the_same_rules(mlkit):
    n = len(mlkit.class_names)
    with pytest.raises(ValueError, match=r"^top_n_by_mean_distance must not exceed"):
        native.Engine(
            mlkit.landmarks,
            mlkit.class_ids,
            n,
            Settings(top_n_by_max_distance=5, top_n_by_mean_distance=6),
        )
    with pytest.raises(ValueError, match=r"^torso_size_multiplier must be finite and > 0, got 0.0"):
        native.embed(mlkit.landmarks[:2], 0.0)


def _first_rejected_setting(message: str | None) -> str | None:
    """The setting a validation message starts with (``axes_weights[1]`` -> ``axes_weights``)."""
    return None if message is None else re.split(r"\W", message, maxsplit=1)[0]


def _random_settings(rng) -> dict:
    """Settings where each value is valid on its own most of the time, often near an edge."""

    def pick(usual, unusual):
        return unusual[rng.integers(len(unusual))] if rng.random() < 0.15 else usual

    top_max = pick(int(rng.integers(1, 40)), [0, -3, 1])
    top_mean = pick(int(rng.integers(1, top_max + 1)) if top_max >= 1 else 1, [0, top_max + 1, 40])
    enter = pick(float(rng.uniform(0.5, 12)), [float(top_mean), np.nan, np.inf, 0.0, -1.0])
    usual_exit = float(rng.uniform(0, enter)) if np.isfinite(enter) and enter > 0 else 1.0
    exit_ = pick(usual_exit, [enter, 0.0, -0.5])
    return {
        "top_n_by_max_distance": top_max,
        "top_n_by_mean_distance": top_mean,
        "axes_weights": [pick(float(rng.uniform(0, 2)), [-0.1, np.nan, 0.0]) for _ in range(3)],
        "torso_size_multiplier": pick(float(rng.uniform(0.1, 5)), [0.0, -1.0, np.inf, 1e-300]),
        "window_size": pick(int(rng.integers(1, 30)), [0, -4, 1]),
        "alpha": pick(float(rng.uniform(1e-6, 1)), [0.0, 1.0, 1.0000001, -0.5, np.nan]),
        "enter_threshold": enter,
        "exit_threshold": exit_,
    }


def test_python_settings_agree_with_the_core():
    """pyengine.settings (the Python front end's contract) and the core decide alike.

    Needs the ``pyengine.settings`` module: ``Settings`` (frozen dataclass with the same
    fields and defaults) and ``validate_settings(settings)``.
    """
    from pyengine.settings import Settings, validate_settings

    assert dataclasses.asdict(Settings()) | {"axes_weights": list(Settings().axes_weights)} == (
        native._native.default_settings()
    )

    def python_message(values: dict) -> str | None:
        try:
            validate_settings(Settings(**{**values, "axes_weights": tuple(values["axes_weights"])}))
        except ValueError as exc:
            return str(exc)
        return None

    def core_message(values: dict) -> str | None:
        try:
            native._native.validate_settings(**values)
        except ValueError as exc:
            return str(exc)
        return None

    rng = np.random.default_rng(5)
    decisions = {True: 0, False: 0}
    for _ in range(3000):
        values = _random_settings(rng)
        want, got = python_message(values), core_message(values)
        assert want == got, values  # same decision, same words
        decisions[got is None] += 1
    assert min(decisions.values()) > 100, decisions  # both outcomes well covered


# ---------------------------------------------------------------- loader and inputs


def test_cpp_loader_matches_python_loader(mlkit_csv, mlkit, tmp_path):
    got = native.load_samples(mlkit_csv)
    assert got["landmarks"].view(np.uint32).tolist() == mlkit.landmarks.view(np.uint32).tolist()
    assert tuple(got["names"]) == mlkit.names
    assert tuple(got["labels"]) == mlkit.labels
    assert tuple(got["class_names"]) == mlkit.class_names
    assert got["class_ids"].tolist() == mlkit.class_ids.tolist()
    assert tuple(got["sources"]) == mlkit.sources
    # The folder format, written by pyengine itself.
    subset = mlkit.select(range(0, len(mlkit), 9))
    write_class_folder(subset, tmp_path / "folder")
    want = load_samples(tmp_path / "folder")
    got = native.load_samples(tmp_path / "folder")
    assert np.array_equal(got["landmarks"], want.landmarks)
    assert tuple(got["class_names"]) == want.class_names
    assert tuple(got["names"]) == want.names
    assert tuple(got["sources"]) == want.sources


def test_other_dtypes_and_layouts_are_converted(engine, mlkit):
    frames = mlkit.landmarks[::40]
    want, valid = engine.counts(frames)
    assert valid.all()
    as_f64 = frames.astype(np.float64)
    assert np.array_equal(engine.counts(as_f64)[0], want)
    strided = np.asfortranarray(frames)
    assert np.array_equal(engine.counts(strided)[0], want)
    assert np.array_equal(engine.counts(frames[0])[0], want[:1])  # a single (33, 3) pose


def test_no_pose_rows(engine, mlkit):
    frames = mlkit.landmarks[:3].copy()
    frames[1, 4, 2] = np.nan
    counts, valid = engine.counts(frames)
    assert valid.tolist() == [True, False, True]
    assert counts[1].tolist() == [0, 0, 0, 0]
    assert counts[0].sum() == counts[2].sum() == 10
    idx, valid = engine.neighbours(frames)
    assert (idx[1] == -1).all() and (idx[0] >= 0).all()


def test_a_batch_split_over_threads_equals_frame_by_frame(engine, mlkit):
    """Batches of 32 frames or more are split over threads; rows must not depend on it."""
    frames = mlkit.landmarks[::-1].copy()  # another order than the samples
    frames[5::97, 3, 0] = np.nan  # no-pose rows scattered over the chunks
    one_idx = np.stack([engine.neighbours(f)[0][0] for f in frames])
    one_counts = np.stack([engine.counts(f)[0][0] for f in frames])
    one_valid = np.array([engine.counts(f)[1][0] for f in frames])
    assert not one_valid.all() and one_valid.any()
    for n in (1, 31, 32, 33, 100, len(frames)):
        idx, valid = engine.neighbours(frames[:n])
        counts, valid_c = engine.counts(frames[:n])
        assert np.array_equal(idx, one_idx[:n]), n
        assert np.array_equal(counts, one_counts[:n]), n
        assert np.array_equal(valid, one_valid[:n]) and np.array_equal(valid_c, one_valid[:n])


# ---------------------------------------------------------------- GIL


def test_classification_releases_the_gil(engine, mlkit):
    """While one thread is inside ``counts``, another thread keeps running Python code.

    With the GIL held for the whole call, no Python statement of the main thread could
    run between the worker's timestamps taken just before and just after the call.
    """
    frames = np.repeat(mlkit.landmarks, 25, axis=0)  # ~20,000 frames: a long call
    window: dict[str, float] = {}
    result: dict[str, np.ndarray] = {}

    def worker():
        window["enter"] = time.perf_counter()
        result["counts"] = engine.counts(frames)[0]
        window["exit"] = time.perf_counter()

    ticks: list[float] = []
    thread = threading.Thread(target=worker)
    thread.start()
    while thread.is_alive():
        ticks.append(time.perf_counter())
    thread.join()
    inside = [t for t in ticks if window["enter"] < t < window["exit"]]
    assert len(inside) > 100, f"the main thread ran {len(inside)} times during the call"
    expected = engine.counts(mlkit.landmarks)[0]
    assert np.array_equal(result["counts"], np.repeat(expected, 25, axis=0))


def test_many_threads_share_one_engine(engine, mlkit):
    expected, _ = engine.counts(mlkit.landmarks)
    errors: list[str] = []

    def worker(offset):
        for start in range(offset, len(mlkit), 50):
            got, _ = engine.counts(mlkit.landmarks[start : start + 50])
            if not np.array_equal(got, expected[start : start + 50]):
                errors.append(f"rows {start}..{start + 50}")

    threads = [threading.Thread(target=worker, args=(i * 10,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ---------------------------------------------------------------- optional module


def test_missing_extension_gives_a_clear_import_error(monkeypatch):
    import pyengine

    monkeypatch.setitem(sys.modules, "pyengine._native", None)  # "import" now fails
    monkeypatch.delattr(pyengine, "_native", raising=False)
    monkeypatch.delitem(sys.modules, "pyengine.backends.native_backend")
    with pytest.raises(
        ImportError, match=r"pyengine\._native is not available.*'numba' or 'reference'"
    ):
        importlib.import_module("pyengine.backends.native_backend")
    with pytest.raises(ImportError, match=r"backend 'native' is not available"):
        backends.load("native")
    assert backends.resolve("auto").NAME != "native"


# ---------------------------------------------------------------- C example


@pytest.fixture(scope="module")
def c_example(tmp_path_factory) -> Path:
    cmake = shutil.which("cmake")
    if cmake is None:
        pytest.skip("cmake is not installed")
    build = tmp_path_factory.mktemp("c_example")
    configure = [
        cmake, "-S", str(REPO), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
        "-DPYENGINE_BUILD_PYTHON=OFF", "-DPYENGINE_BUILD_TESTS=OFF",
        "-DPYENGINE_BUILD_BENCHMARKS=OFF", "-DPYENGINE_BUILD_EXAMPLES=ON",
    ]  # fmt: skip
    run = subprocess.run(configure, capture_output=True, text=True)
    if run.returncode != 0:
        pytest.skip(f"cannot configure the C build here: {run.stderr[-500:]}")
    run = subprocess.run(
        [cmake, "--build", str(build), "--target", "classify_c", "-j", os.environ.get("JOBS", "2")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    exe = build / "cpp" / "examples" / "classify_c"
    assert exe.is_file()
    return exe


@pytest.mark.parametrize("index", [0, 400, 811])
def test_c_example_prints_the_counts_python_gives(c_example, mlkit_csv, mlkit, engine, index):
    out = subprocess.run(
        [str(c_example), str(mlkit_csv), str(index)], capture_output=True, text=True, check=True
    ).stdout
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    pose = mlkit.landmarks[index]
    mirrored = pose * np.array([-1, 1, 1], np.float32)
    want, _ = engine.counts(np.stack([pose, mirrored]))
    # The reference agrees too (one pose: it is slow).
    ref = backends.load("reference").Engine(
        mlkit.landmarks, mlkit.class_ids, len(mlkit.class_names), Settings()
    )
    assert np.array_equal(ref.counts(pose[None])[0][0], want[0])
    for label, row in (("sample", want[0]), ("mirrored", want[1])):
        expected = [f"{name}={int(n)}" for name, n in zip(mlkit.class_names, row)]
        assert lines[label] == expected
