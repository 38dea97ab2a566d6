"""Convert between the two sample formats of SPEC 2, byte for byte, and count classes.

Folder form loads its class CSVs in file-name order, so a single CSV whose classes come
in another order (the bundled ML Kit file starts with ``pushups_up`` and ``squats_up``)
or interleave would come back reordered. :func:`export_folder` therefore also writes
``row_order.txt`` (``class,name`` per row, in the single CSV's order), and
:func:`export_single` puts rows in that order: rows listed there come first, in its
order (the k-th row of a class with a given name matches its k-th listing); rows not
listed follow in folder load order (class files by name, rows in file order). Without
the file, the order is simply the folder load order.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .._files import atomic_write_text
from ..errors import SampleFileError, TrainingFolderError
from ..sample_csv import LINE_END
from ..samples import (
    SampleSet,
    load_samples,
    write_class_folder,
    write_single_csv,
)
from .align import require_folder

#: Row order of the single CSV a folder was exported from (not a class: not ``*.csv``).
ORDER_FILE = "row_order.txt"


def export_folder(
    single_csv: str | os.PathLike[str], folder: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write a single (ML Kit) CSV as a folder of ``<class>.csv`` files plus ``row_order.txt``.

    Parameters
    ----------
    single_csv : str or os.PathLike
        Rows ``name,class,x1,...,z33``.
    folder : str or os.PathLike
        Created if needed. Rows keep their exact text and line endings.
    overwrite : bool
        Replace class CSVs already in ``folder`` (and delete those of classes the
        single CSV does not have, which would otherwise join the set).

    Returns
    -------
    list of Path
        The class CSVs written, in class order.

    Raises
    ------
    SampleFileError
        The source is not a readable single CSV.
    TrainingFolderError
        ``folder`` is a file, or already holds class CSVs and ``overwrite`` is False.
    """
    source, folder = Path(single_csv), Path(folder)
    if source.is_dir():
        raise SampleFileError(f"{source} is a folder; export_folder needs a single CSV file")
    samples = load_samples(source)
    stale = _existing_class_csvs(folder, overwrite)
    written = write_class_folder(samples, folder)
    atomic_write_text(folder / ORDER_FILE, _order_text(samples))
    for path in stale:
        if path.stem not in samples.class_names:
            path.unlink()
    return written


def export_single(
    folder: str | os.PathLike[str], single_csv: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write a folder of ``<class>.csv`` files as one single (ML Kit) CSV.

    Rows are ordered by ``row_order.txt`` when the folder has one (see the module
    documentation), else in folder load order.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder of class CSVs (rows ``name,x1,...,z33``).
    single_csv : str or os.PathLike
        The file to write, atomically.
    overwrite : bool
        Replace ``single_csv`` if it exists.

    Returns
    -------
    Path
        ``single_csv``.

    Raises
    ------
    TrainingFolderError
        ``folder`` is not a folder.
    SampleFileError
        A class CSV or ``row_order.txt`` is malformed, or ``single_csv`` exists and
        ``overwrite`` is False.
    """
    folder, target = require_folder(Path(folder), "sample folder"), Path(single_csv)
    if target.is_dir():
        raise SampleFileError(f"{target} is a folder; export_single writes a single CSV file")
    if target.exists() and not overwrite:
        raise SampleFileError(f"{target} already exists (overwrite it with --force)")
    samples = load_samples(folder)
    order_file = folder / ORDER_FILE
    if order_file.is_file():
        samples = samples.select(_row_order(samples, _read_order(order_file)))
    write_single_csv(samples, target)
    return target


def export(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    to: str | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Convert ``src`` to the other format: a folder becomes a single CSV and vice versa.

    Parameters
    ----------
    src, dst : str or os.PathLike
    to : {"single", "folder"}, optional
        The format of ``dst``; by default the opposite of ``src``'s.
    overwrite : bool

    Returns
    -------
    list of Path
        The files written.
    """
    src = Path(src)
    if not src.exists():
        raise SampleFileError(f"{src}: no such file or folder")
    to = to or ("single" if src.is_dir() else "folder")
    if to == "single":
        if not src.is_dir():
            raise SampleFileError(f"{src} is already a single CSV (use --to folder)")
        return [export_single(src, dst, overwrite=overwrite)]
    if to == "folder":
        return export_folder(src, dst, overwrite=overwrite)
    raise ValueError(f"to must be 'single' or 'folder', got {to!r}")


def class_stats(samples: SampleSet | str | os.PathLike[str]) -> dict[str, int]:
    """Number of samples per class, in class order (first appearance).

    Parameters
    ----------
    samples : SampleSet or str or os.PathLike
        A set, or a single CSV / folder of class CSVs to load.
    """
    if not isinstance(samples, SampleSet):
        samples = load_samples(samples)
    return samples.class_counts()


def format_stats(counts: dict[str, int]) -> str:
    """A plain-text table of ``class_stats`` with a total line."""
    width = max([len("class"), len("total"), *map(len, counts)])
    lines = [f"{'class':<{width}}  {'samples':>7}"]
    lines += [f"{name:<{width}}  {count:>7}" for name, count in counts.items()]
    lines.append(f"{'total':<{width}}  {sum(counts.values()):>7}")
    return "\n".join(lines)


def _existing_class_csvs(folder: Path, overwrite: bool) -> list[Path]:
    if folder.exists() and not folder.is_dir():
        raise TrainingFolderError(f"{folder} exists and is not a folder")
    if not folder.exists():
        return []
    existing = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if existing and not overwrite:
        raise TrainingFolderError(
            f"{folder} already holds class CSVs ({', '.join(p.name for p in existing[:5])}"
            f"{', ...' if len(existing) > 5 else ''}); overwrite them with --force"
        )
    return existing


def _order_text(samples: SampleSet) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=LINE_END).writerows(zip(samples.labels, samples.names))
    return buffer.getvalue()


def _read_order(order_file: Path) -> list[tuple[str, str]]:
    try:
        text = order_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SampleFileError(f"{order_file}: cannot read: {exc}") from None
    order = []
    for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if not record:
            continue
        if len(record) != 2:
            raise SampleFileError(
                f"{order_file}:{number}: expected 2 fields (class, name), found {len(record)}"
            )
        order.append((record[0], record[1]))
    return order


def _row_order(samples: SampleSet, order: Sequence[tuple[str, str]]) -> list[int]:
    """Sample indices sorted by their position in ``order`` (unlisted ones last, stably)."""
    position: dict[tuple[str, str, int], int] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for pos, key in enumerate(order):
        position[(*key, seen[key])] = pos
        seen[key] += 1
    occurrence: Counter[tuple[str, str]] = Counter()
    keys = []
    for i, key in enumerate(zip(samples.labels, samples.names)):
        found = position.get((*key, occurrence[key]))
        occurrence[key] += 1
        keys.append((0, found, i) if found is not None else (1, 0, i))
    return [i for *_, i in sorted(keys)]
