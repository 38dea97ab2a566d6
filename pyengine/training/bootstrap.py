"""Bootstrap a training set from images sorted into class folders (SPEC 8).

``images_in/<class>/*.jpg|jpeg|png`` -> MediaPipe in static-image mode ->
``csvs_out/<class>.csv`` (rows ``name,x1,...,z33``, pixel-scaled float32 landmarks) and
``images_out/<class>/<image name>`` (skeleton drawn, X-Z projection beside it).

Everything is written atomically, and the class CSV is rewritten after every image, so
an interruption loses at most the image in flight. A re-run skips the images already
done (output image present and row in the CSV) unless ``force`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from .._files import atomic_write_bytes, atomic_write_text
from ..errors import TrainingFolderError
from ..pose import PoseEstimator
from ..sample_csv import LINE_END, CsvFile, csv_text, read_sample_csv
from ..samples import format_coordinate
from .align import ensure_writable_folder, is_image_file, require_folder
from .draw import annotate

#: ``estimator(bgr, time_s) -> (33, 3) landmarks or None``, as ``pyengine.pose`` gives.
Estimator = Callable[[np.ndarray, float], "np.ndarray | None"]


@dataclass
class ClassReport:
    """Bootstrap statistics of one class.

    Attributes
    ----------
    class_name : str
    images : int
        Images considered (after the per-class limit).
    skipped : int
        Already done by an earlier run (output image and CSV row present).
    with_pose, no_pose : int
        Images processed in this run where MediaPipe did / did not find a pose.
    unreadable : int
        Files that could not be decoded as an image.
    csv_rows : int
        Rows in the class CSV at the end.
    csv_path : Path or None
        The class CSV, or None when the class has no row.
    """

    class_name: str
    images: int = 0
    skipped: int = 0
    with_pose: int = 0
    no_pose: int = 0
    unreadable: int = 0
    csv_rows: int = 0
    csv_path: Path | None = None


@dataclass
class BootstrapReport:
    """What :func:`bootstrap_images` did.

    Attributes
    ----------
    classes : list of ClassReport
        One per class folder, in sorted order.
    no_pose : list of Path
        Input images where no pose was found (kept out of the CSVs).
    unreadable : list of Path
        Input files that are not a readable image.
    warnings : list of str
        Empty class folders and files that are not images.
    """

    classes: list[ClassReport] = field(default_factory=list)
    no_pose: list[Path] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def totals(self) -> ClassReport:
        """The sum over all classes (``class_name`` is ``"total"``)."""
        total = ClassReport("total")
        for item in self.classes:
            for name in ("images", "skipped", "with_pose", "no_pose", "unreadable", "csv_rows"):
                setattr(total, name, getattr(total, name) + getattr(item, name))
        return total


def bootstrap_images(
    images_in: str | os.PathLike[str],
    csvs_out: str | os.PathLike[str],
    images_out: str | os.PathLike[str],
    *,
    limit: int | None = None,
    force: bool = False,
    model: str | os.PathLike[str] = "full",
    estimator: Estimator | None = None,
    progress: bool = True,
) -> BootstrapReport:
    """Turn ``images_in/<class>/*`` into per-class sample CSVs and annotated images.

    Parameters
    ----------
    images_in : str or os.PathLike
        Folder holding one sub-folder per class (names may contain spaces).
    csvs_out : str or os.PathLike
        Where ``<class>.csv`` files are written (created if needed).
    images_out : str or os.PathLike
        Where ``<class>/<image name>`` annotated images are written (created if needed).
    limit : int, optional
        Use at most this many images per class (the first ones in name order).
    force : bool
        Process every image again, even those an earlier run finished.
    model : str or os.PathLike
        Pose model for :func:`pyengine.pose.open_estimator` (``"full"`` by default).
    estimator : callable, optional
        An already open estimator in static-image mode, used instead of ``model``.
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    BootstrapReport

    Raises
    ------
    TrainingFolderError
        ``images_in`` is missing or has no class folder, or an output folder cannot be
        written (checked before any image is processed).
    SampleFileError
        An existing class CSV in ``csvs_out`` is malformed.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of images, got {limit}")
    images_in, csvs_out, images_out = Path(images_in), Path(csvs_out), Path(images_out)
    report = BootstrapReport()
    jobs = _plan(images_in, csvs_out, images_out, limit, force, report)
    todo = sum(len(job.todo) for job in jobs)
    if todo == 0:
        return report
    with (
        _estimator_scope(estimator, model) as run_pose,
        tqdm(total=todo, unit="image", disable=not progress, desc="bootstrap") as bar,
    ):
        for job in jobs:
            _run_class(job, run_pose, report, bar)
    return report


@dataclass
class _ClassJob:
    report: ClassReport
    csv_path: Path
    out_dir: Path
    rows: dict[str, str]  # sample name -> CSV line with its ending
    todo: list[Path]


def _plan(
    images_in: Path,
    csvs_out: Path,
    images_out: Path,
    limit: int | None,
    force: bool,
    report: BootstrapReport,
) -> list[_ClassJob]:
    """Scan the input, check the outputs and read existing CSVs before any real work."""
    require_folder(images_in, "images input folder")
    class_dirs = sorted(p for p in images_in.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise TrainingFolderError(
            f"images input folder {images_in} holds no class folders "
            f"(expected {images_in}/<class>/*.jpg)"
        )
    if images_out.resolve() == images_in.resolve():
        raise TrainingFolderError(
            f"images output folder {images_out} is the input folder: annotated images "
            "would overwrite the originals"
        )
    ensure_writable_folder(csvs_out, "CSV output folder")
    ensure_writable_folder(images_out, "images output folder")
    jobs = []
    for class_dir in class_dirs:
        images = _class_images(class_dir, report)[:limit]
        class_report = ClassReport(class_dir.name, images=len(images))
        report.classes.append(class_report)
        if not images:
            report.warnings.append(f"class folder {class_dir} holds no .jpg/.jpeg/.png; no CSV")
            continue
        out_dir = images_out / class_dir.name
        ensure_writable_folder(out_dir, "images output folder")
        csv_path = csvs_out / f"{class_dir.name}.csv"
        rows = _existing_rows(csv_path)
        todo = [p for p in images if force or not _is_done(p, out_dir, rows)]
        class_report.skipped = len(images) - len(todo)
        _finish_counts(class_report, rows, csv_path)
        jobs.append(_ClassJob(class_report, csv_path, out_dir, rows, todo))
    return jobs


def _class_images(class_dir: Path, report: BootstrapReport) -> list[Path]:
    files = sorted(p for p in class_dir.iterdir() if not p.name.startswith("."))
    for path in files:
        if not is_image_file(path):
            report.warnings.append(f"{path}: not a .jpg/.jpeg/.png image file; ignored")
    return [p for p in files if is_image_file(p)]


def _existing_rows(csv_path: Path) -> dict[str, str]:
    if not csv_path.exists():
        return {}
    csv_file: CsvFile = read_sample_csv(csv_path)
    return {line.name: line.text + LINE_END for line in csv_file.rows}


def _is_done(image: Path, out_dir: Path, rows: dict[str, str]) -> bool:
    return image.name in rows and (out_dir / image.name).is_file()


def _run_class(job: _ClassJob, run_pose: Estimator, report: BootstrapReport, bar: tqdm) -> None:
    bar.set_postfix_str(job.report.class_name)
    for image in job.todo:
        _process_image(image, job, run_pose, report)
        bar.update(1)
    _finish_counts(job.report, job.rows, job.csv_path)


def _process_image(
    image: Path, job: _ClassJob, run_pose: Estimator, report: BootstrapReport
) -> None:
    bgr = read_image(image)
    if bgr is None:
        job.report.unreadable += 1
        report.unreadable.append(image)
        return
    landmarks = run_pose(bgr, 0.0)
    write_image(job.out_dir / image.name, annotate(bgr, landmarks))
    if landmarks is None:
        job.report.no_pose += 1
        report.no_pose.append(image)
        changed = job.rows.pop(image.name, None) is not None
    else:
        job.report.with_pose += 1
        job.rows[image.name] = _csv_line(image.name, landmarks)
        changed = True
    if changed:
        _write_class_csv(job.csv_path, job.rows)


def _csv_line(name: str, landmarks: np.ndarray) -> str:
    fields = [format_coordinate(v) for v in np.asarray(landmarks, dtype=np.float32).reshape(-1)]
    return csv_text([([name, *fields], LINE_END)])


def _write_class_csv(csv_path: Path, rows: dict[str, str]) -> None:
    """Rewrite the whole class CSV (rows in name order), or remove it when it has no row."""
    if rows:
        atomic_write_text(csv_path, "".join(rows[name] for name in sorted(rows)))
    else:
        csv_path.unlink(missing_ok=True)


def _finish_counts(class_report: ClassReport, rows: dict[str, str], csv_path: Path) -> None:
    class_report.csv_rows = len(rows)
    class_report.csv_path = csv_path if rows else None


def read_image(path: Path) -> np.ndarray | None:
    """Decode an image file to BGR uint8, or None if it is not a readable image."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def write_image(path: Path, bgr: np.ndarray) -> None:
    """Encode ``bgr`` in the format of ``path``'s suffix and write it atomically."""
    ok, encoded = cv2.imencode(path.suffix.lower(), bgr)
    if not ok:
        raise TrainingFolderError(f"{path}: OpenCV cannot encode an image of this type")
    atomic_write_bytes(path, encoded.tobytes())


class _estimator_scope:
    """Use the caller's estimator, or open (and later close) a static-image one."""

    def __init__(self, estimator: Estimator | None, model: str | os.PathLike[str]) -> None:
        self._given = estimator
        self._model = model
        self._opened: PoseEstimator | None = None

    def __enter__(self) -> Estimator:
        if self._given is not None:
            return self._given
        from ..pose import open_estimator  # MediaPipe loads only when there is work

        self._opened = open_estimator(self._model, static_image_mode=True)
        return self._opened

    def __exit__(self, *exc) -> None:
        if self._opened is not None:
            self._opened.close()
