"""Find training samples that their own set misclassifies (SPEC 4), and remove them."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .._files import atomic_write_text
from ..classifier import Outlier, PoseClassifier
from ..errors import SampleFileError
from ..sample_csv import CLASS_CSV_HEAD, SINGLE_CSV_HEAD, read_sample_csv
from ..samples import SampleSet, load_samples


def find_outliers(
    samples: SampleSet | str | os.PathLike[str], **classifier_kwargs
) -> list[Outlier]:
    """Classify every sample against the whole set and return the misclassified ones.

    A sample is an outlier when its own class is not the single class with the most
    neighbours (SPEC 4). All samples are classified in one batch call of the back end.

    Parameters
    ----------
    samples : SampleSet or str or os.PathLike
        The training set, or a single CSV / folder of class CSVs to load.
    **classifier_kwargs
        Passed to :class:`pyengine.PoseClassifier` (``backend``, ``top_n_by_max_distance``,
        ``top_n_by_mean_distance``, ``axes_weights``, ``torso_size_multiplier``).

    Returns
    -------
    list of Outlier
        In sample load order; ``Outlier.index`` is the index in that order.
    """
    return PoseClassifier(samples, **classifier_kwargs).find_outliers()


@dataclass
class RemovalReport:
    """What :func:`remove_samples` did (or, with ``dry_run``, would do).

    Attributes
    ----------
    removed : list of (str, str, str)
        ``(class_name, sample_name, source)`` of every removed row.
    rewritten : list of Path
        Sample files rewritten without those rows.
    deleted_csvs : list of Path
        Class CSVs left with no row, deleted rather than left empty.
    deleted_images : list of Path
        Images of the removed samples (only with ``images``).
    dry_run : bool
    """

    removed: list[tuple[str, str, str]] = field(default_factory=list)
    rewritten: list[Path] = field(default_factory=list)
    deleted_csvs: list[Path] = field(default_factory=list)
    deleted_images: list[Path] = field(default_factory=list)
    dry_run: bool = False


def remove_samples(
    samples_path: str | os.PathLike[str],
    samples_to_remove: Iterable[Outlier | int],
    *,
    images: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
) -> RemovalReport:
    """Rewrite a sample CSV (or folder of class CSVs) without some of its samples.

    Only the removed lines change: every other line stays byte for byte as it was.
    Every file is written atomically, and all of them are checked before any is written.

    Parameters
    ----------
    samples_path : str or os.PathLike
        The single CSV or folder of class CSVs the samples were loaded from.
    samples_to_remove : iterable of Outlier or int
        Outliers from :func:`find_outliers` on this same path, or sample indices in
        :func:`pyengine.load_samples` order.
    images : str or os.PathLike, optional
        A bootstrap ``images_out`` folder: ``<images>/<class>/<sample name>`` of each
        removed sample is deleted too.
    dry_run : bool
        Only report what would be done.

    Returns
    -------
    RemovalReport

    Raises
    ------
    SampleFileError
        The files changed since the outliers were found, an index is out of range, or
        a single CSV would be left with no sample.
    """
    path = Path(samples_path)
    samples = load_samples(path)
    indices = sorted({_checked_index(samples, item) for item in samples_to_remove})
    report = RemovalReport(dry_run=dry_run)
    by_file: dict[Path, set[int]] = defaultdict(set)
    for i in indices:
        file, line = _source(samples.sources[i])
        by_file[file].add(line)
        report.removed.append((samples.labels[i], samples.names[i], samples.sources[i]))
    new_texts = {
        file: _text_without(file, lines, single=not path.is_dir())
        for file, lines in by_file.items()
    }
    if images is not None:
        report.deleted_images = [
            p for label, name, _ in report.removed if (p := Path(images) / label / name).is_file()
        ]
    for file, text in new_texts.items():
        (report.rewritten if text is not None else report.deleted_csvs).append(file)
    if not dry_run:
        _apply(new_texts, report.deleted_images)
    return report


def _checked_index(samples: SampleSet, item: Outlier | int) -> int:
    index = item.index if isinstance(item, Outlier) else int(item)
    if not 0 <= index < len(samples):
        raise SampleFileError(f"sample index {index} is out of range (the set has {len(samples)})")
    if isinstance(item, Outlier) and (samples.names[index], samples.labels[index]) != (
        item.name,
        item.class_name,
    ):
        raise SampleFileError(
            f"{item.source}: sample {item.name!r} ({item.class_name}) is not at index {index} "
            "any more; the sample files changed since the outliers were found"
        )
    return index


def _source(source: str) -> tuple[Path, int]:
    file, line = source.rsplit(":", 1)
    return Path(file), int(line)


def _text_without(file: Path, line_numbers: set[int], *, single: bool) -> str | None:
    """The file's text without those lines, or None when no sample row would be left."""
    csv_file = read_sample_csv(file, n_head=SINGLE_CSV_HEAD if single else CLASS_CSV_HEAD)
    keep = [line for line in csv_file.lines if line.number not in line_numbers]
    if any(line.name for line in keep):
        return csv_file.text(keep)
    if single:
        raise SampleFileError(f"{file}: removing these samples would leave the file with none")
    return None


def _apply(new_texts: dict[Path, str | None], images: list[Path]) -> None:
    for file, text in new_texts.items():
        if text is None:
            file.unlink()
        else:
            atomic_write_text(file, text)
    for image in images:
        image.unlink(missing_ok=True)
