"""Keep a bootstrapped training set consistent: class CSVs and annotated images agree.

After bootstrapping, a person looks through ``images_out/<class>/`` and deletes the
images whose pose is wrong. :func:`align` then drops the CSV rows of the deleted images
and deletes the images that have no CSV row (those where MediaPipe found no pose).

This module also holds the folder checks the other training tools share. Class CSVs are
read and rewritten line by line through :mod:`pyengine.sample_csv`, so kept rows stay
byte for byte as they were.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .._files import atomic_write_text
from ..errors import TrainingFolderError
from ..sample_csv import CsvFile, CsvLine, read_sample_csv

#: Image files the training tools read and write (compared case-insensitively).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def ensure_writable_folder(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and check that a file can be created in it.

    A real probe file is used because permission bits say nothing when running as root.

    Raises
    ------
    TrainingFolderError
        Naming ``what`` (e.g. "images output folder") and the path.
    """
    if folder.exists() and not folder.is_dir():
        raise TrainingFolderError(f"{what} {folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".pyengine-write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise TrainingFolderError(f"{what} {folder} is not writable: {exc.strerror}") from None


def require_folder(folder: Path, what: str) -> Path:
    """Return ``folder`` as a Path, or raise :class:`TrainingFolderError` if it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise TrainingFolderError(f"{what} {folder} {problem}")
    return folder


def is_image_file(path: Path) -> bool:
    """True for a visible regular file named ``*.jpg``, ``*.jpeg`` or ``*.png``."""
    return (
        path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()
    )


# ---------------------------------------------------------------- align


@dataclass
class AlignReport:
    """What :func:`align` did (or, with ``dry_run``, would do).

    Attributes
    ----------
    dropped_rows : list of (str, str)
        ``(class_name, sample_name)`` of CSV rows whose image is gone.
    deleted_images : list of Path
        Images that had no CSV row.
    deleted_csvs : list of Path
        Class CSVs left with no row, deleted rather than left empty.
    warnings : list of str
        Classes present on one side only, which are left alone.
    dry_run : bool
    """

    dropped_rows: list[tuple[str, str]] = field(default_factory=list)
    deleted_images: list[Path] = field(default_factory=list)
    deleted_csvs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """True when something was (or would be) dropped or deleted."""
        return bool(self.dropped_rows or self.deleted_images or self.deleted_csvs)


def align(
    csvs: str | os.PathLike[str], images: str | os.PathLike[str], *, dry_run: bool = False
) -> AlignReport:
    """Make class CSVs and annotated images agree, as SPEC 8 asks.

    For every class that has both ``csvs/<class>.csv`` and ``images/<class>/``: drop the
    rows whose image (named like the row's sample) is gone, and delete the images that
    have no row. A class present on one side only is reported and left alone, so that a
    wrong path can never wipe a whole class.

    Parameters
    ----------
    csvs : str or os.PathLike
        Folder of per-class CSVs (``csvs_out`` of :func:`bootstrap_images`).
    images : str or os.PathLike
        Folder of per-class image folders (``images_out``).
    dry_run : bool
        Only report what would be done.

    Returns
    -------
    AlignReport

    Raises
    ------
    TrainingFolderError
        A folder does not exist.
    SampleFileError
        A class CSV is malformed (nothing is changed then).
    """
    csv_folder = require_folder(Path(csvs), "CSV folder")
    image_folder = require_folder(Path(images), "images folder")
    csv_files = {p.stem: p for p in sorted(csv_folder.iterdir()) if _is_class_csv(p)}
    image_dirs = {
        p.name: p
        for p in sorted(image_folder.iterdir())
        if p.is_dir() and not p.name.startswith(".")
    }
    report = AlignReport(dry_run=dry_run)
    for name in sorted(set(image_dirs) - set(csv_files)):
        report.warnings.append(f"class {name!r}: images but no {name}.csv; left alone")
    for name in sorted(set(csv_files) - set(image_dirs)):
        report.warnings.append(f"class {name!r}: a CSV but no image folder; left alone")
    plans = [
        _plan_class(name, read_sample_csv(csv_files[name]), image_dirs[name])
        for name in sorted(set(csv_files) & set(image_dirs))
    ]  # read every CSV first: a malformed one stops everything before any change
    for plan in plans:
        _apply_plan(plan, report, dry_run)
    return report


def _is_class_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv" and path.is_file() and not path.name.startswith(".")


@dataclass
class _ClassPlan:
    class_name: str
    csv: CsvFile
    keep: list[CsvLine]
    dropped: list[CsvLine]
    orphan_images: list[Path]


def _plan_class(class_name: str, csv_file: CsvFile, image_dir: Path) -> _ClassPlan:
    images = {p.name: p for p in image_dir.iterdir() if is_image_file(p)}
    row_names = {line.name for line in csv_file.rows}
    keep = [line for line in csv_file.lines if not line.name or line.name in images]
    dropped = [line for line in csv_file.rows if line.name not in images]
    orphans = sorted(path for name, path in images.items() if name not in row_names)
    return _ClassPlan(class_name, csv_file, keep, dropped, orphans)


def _apply_plan(plan: _ClassPlan, report: AlignReport, dry_run: bool) -> None:
    report.dropped_rows.extend((plan.class_name, line.name) for line in plan.dropped)
    report.deleted_images.extend(plan.orphan_images)
    has_rows = any(line.name for line in plan.keep)
    if plan.dropped and not has_rows:
        report.deleted_csvs.append(plan.csv.path)
    if dry_run:
        return
    if plan.dropped:
        if has_rows:
            atomic_write_text(plan.csv.path, plan.csv.text(plan.keep))
        else:
            plan.csv.path.unlink()
    for image in plan.orphan_images:
        image.unlink(missing_ok=True)
