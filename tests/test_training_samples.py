"""Export between the two sample formats, class statistics and outliers on the ML Kit set."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from pyengine import PoseClassifier, backends, load_samples
from pyengine.cli import main
from pyengine.errors import SampleFileError
from pyengine.training import (
    ORDER_FILE,
    TrainingFolderError,
    class_stats,
    export_folder,
    export_single,
    find_outliers,
    remove_samples,
)

BUNDLED = Path(__file__).resolve().parents[1] / "pyengine" / "data" / "fitness_pose_samples.csv"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _class_of(line: bytes) -> bytes:
    return line.split(b",", 2)[1]


# ---------------------------------------------------------------- export


def test_bundled_set_round_trips_through_folder_form_byte_for_byte(tmp_path):
    folder = tmp_path / "folder"
    written = export_folder(BUNDLED, folder)
    assert sorted(p.name for p in written) == sorted(
        f"{c.decode()}.csv" for c in dict.fromkeys(map(_class_of, _lines(BUNDLED)))
    )
    # Folder form loads classes by file name, which is not the ML Kit file's order ...
    assert load_samples(folder).class_names != load_samples(BUNDLED).class_names
    # ... and the row order file puts every row back where it was.
    export_single(folder, tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_bytes() == BUNDLED.read_bytes()


def test_class_files_keep_each_rows_text_and_line_ending(tmp_path):
    export_folder(BUNDLED, tmp_path)
    by_class: dict[bytes, list[bytes]] = {}
    for line in _lines(BUNDLED):
        name, cls, rest = line.split(b",", 2)
        by_class.setdefault(cls, []).append(name + b"," + rest)
    for cls, rows in by_class.items():
        assert _lines(tmp_path / f"{cls.decode()}.csv") == rows


def test_cli_export_round_trip(tmp_path, capsys):
    assert main(["export", str(BUNDLED), str(tmp_path / "f")]) == 0
    assert main(["export", str(tmp_path / "f"), str(tmp_path / "back.csv")]) == 0
    assert (tmp_path / "back.csv").read_bytes() == BUNDLED.read_bytes()
    assert "wrote" in capsys.readouterr().out


def test_interleaved_classes_and_a_last_line_without_ending_round_trip(tmp_path):
    lines = _lines(BUNDLED)[::7]
    random.Random(3).shuffle(lines)
    lines[-1] = lines[-1].rstrip(b"\r\n")
    original = tmp_path / "mixed.csv"
    original.write_bytes(b"".join(lines))
    export_folder(original, tmp_path / "f")
    export_single(tmp_path / "f", tmp_path / "back.csv")
    assert (tmp_path / "back.csv").read_bytes() == original.read_bytes()


def test_without_the_order_file_rows_follow_folder_load_order(tmp_path):
    export_folder(BUNDLED, tmp_path / "f")
    (tmp_path / "f" / ORDER_FILE).unlink()
    export_single(tmp_path / "f", tmp_path / "out.csv")
    expected = sorted(_lines(BUNDLED), key=_class_of)  # stable: file order within a class
    assert _lines(tmp_path / "out.csv") == expected


def test_rows_missing_from_the_order_file_come_last(tmp_path):
    folder = tmp_path / "f"
    export_folder(BUNDLED, folder)
    extra = b"added.png," + _lines(folder / "squats_up.csv")[0].split(b",", 1)[1]
    with open(folder / "squats_up.csv", "ab") as handle:
        handle.write(extra)
    export_single(folder, tmp_path / "out.csv")
    out = _lines(tmp_path / "out.csv")
    assert out[:-1] == _lines(BUNDLED)
    assert out[-1] == b"added.png,squats_up," + extra.split(b",", 1)[1]


def test_export_never_overwrites_without_being_asked(tmp_path):
    export_folder(BUNDLED, tmp_path / "f")
    with pytest.raises(TrainingFolderError, match="already holds class CSVs"):
        export_folder(BUNDLED, tmp_path / "f")
    (tmp_path / "out.csv").write_text("keep me")
    with pytest.raises(SampleFileError, match="already exists"):
        export_single(tmp_path / "f", tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == "keep me"
    assert main(["export", str(tmp_path / "f"), str(tmp_path / "out.csv")]) == 2


def test_overwriting_a_folder_removes_classes_the_source_does_not_have(tmp_path):
    folder = tmp_path / "f"
    export_folder(BUNDLED, folder)
    squats_only = tmp_path / "squats.csv"
    squats_only.write_bytes(
        b"".join(line for line in _lines(BUNDLED) if _class_of(line).startswith(b"squats"))
    )
    export_folder(squats_only, folder, overwrite=True)
    assert sorted(p.name for p in folder.glob("*.csv")) == ["squats_down.csv", "squats_up.csv"]


def test_stats_count_rows_per_class(tmp_path, capsys):
    with open(BUNDLED, newline="") as handle:
        expected = Counter(row[1] for row in csv.reader(handle))
    assert class_stats(BUNDLED) == dict(expected)
    export_folder(BUNDLED, tmp_path)
    assert class_stats(tmp_path) == dict(expected)
    assert main(["stats", str(BUNDLED)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].split() == ["total", str(sum(expected.values()))]


# ---------------------------------------------------------------- outliers


@pytest.fixture
def mislabelled(tmp_path) -> tuple[Path, set[str]]:
    """Every 4th ML Kit row, with three squats_down poses relabelled pushups_up."""
    lines = _lines(BUNDLED)[::4]
    relabelled = set()
    for i, line in enumerate(lines):
        name, cls, rest = line.split(b",", 2)
        if cls == b"squats_down" and len(relabelled) < 3:
            lines[i] = b",".join([name, b"pushups_up", rest])
            relabelled.add(name.decode())
    path = tmp_path / "samples.csv"
    path.write_bytes(b"".join(lines))
    return path, relabelled


def test_outliers_agree_across_back_ends_and_with_the_definition(mislabelled):
    path, relabelled = mislabelled
    samples = load_samples(path)
    reference = PoseClassifier(samples, backend="reference")
    expected = []
    for i, landmarks in enumerate(samples.landmarks):
        counts = reference(landmarks)
        winners = [c for c, k in counts.items() if k == max(counts.values())]
        if winners != [samples.labels[i]]:
            expected.append((samples.names[i], samples.labels[i], counts))
    assert relabelled <= {name for name, _, _ in expected}
    for backend in backends.available():
        found = find_outliers(samples, backend=backend)
        assert [(o.name, o.class_name, o.counts) for o in found] == expected, backend


def test_cli_outliers_json_and_remove(mislabelled, capsys):
    path, relabelled = mislabelled
    before = _lines(path)
    assert main(["outliers", str(path), "--json", "--backend", "reference"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["n_samples"] == len(before) and listed["removed"] is False
    names = {o["name"] for o in listed["outliers"]}
    assert relabelled <= names
    assert _lines(path) == before

    assert main(["outliers", str(path), "--remove", "--backend", "reference"]) == 0
    assert f"{len(names)} outlier(s)" in capsys.readouterr().out
    after = _lines(path)
    assert after == [line for line in before if line.split(b",")[0].decode() not in names]


def test_remove_samples_by_index_keeps_other_lines_and_refuses_to_empty_a_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b"".join(_lines(BUNDLED)[:5]))
    report = remove_samples(path, [1, 3], dry_run=True)
    assert [r[1] for r in report.removed] == [load_samples(path).names[i] for i in (1, 3)]
    assert _lines(path) == _lines(BUNDLED)[:5]
    remove_samples(path, [1, 3])
    assert _lines(path) == [_lines(BUNDLED)[i] for i in (0, 2, 4)]
    with pytest.raises(SampleFileError, match="leave the file with none"):
        remove_samples(path, [0, 1, 2])
    with pytest.raises(SampleFileError, match="out of range"):
        remove_samples(path, [3])
    assert len(_lines(path)) == 3
