"""Sample CSV files line by line: the one place that splits and checks their lines.

Both formats of SPEC 2 are read here: a single CSV (``name,class,99 coordinates``, two
head fields) and a per-class CSV (``name,99 coordinates``, one head field). Lines end in
``\\r\\n`` or ``\\n`` (the bundled ML Kit file mixes both) and each line keeps its own
ending and exact text, so a file rewritten from its lines is byte for byte the same.
:func:`pyengine.samples.load_samples` parses the coordinates of these lines; the training
tools (align, outliers, bootstrap) keep, drop or append lines as they are.

Errors name the file, the 1-based line and the field. Imports only
:mod:`pyengine.errors` and :mod:`pyengine.landmarks`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import SampleFileError
from .landmarks import N_COORDS

#: Line ending of every CSV pyengine writes (the csv module's default, and ML Kit's).
LINE_END = "\r\n"
#: One line of text and its ending (``\r\n``, ``\n``, ``\r``, or none at the end).
LINE_PATTERN = re.compile(r"([^\r\n]*)(\r\n|\n|\r|$)")
BOM = "\ufeff"

#: Head fields before the 99 coordinates: a single CSV has a class name, a class CSV not.
SINGLE_CSV_HEAD = 2
CLASS_CSV_HEAD = 1


@dataclass(frozen=True)
class CsvLine:
    """One line of a sample CSV: its 1-based number, exact text, ending and fields.

    ``fields`` is empty for a blank line, which is kept as it is but holds no sample.
    """

    number: int
    text: str
    end: str
    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        """The sample name (first field, stripped), or ``""`` for a blank line."""
        return self.fields[0].strip() if self.fields else ""


@dataclass
class CsvFile:
    """The lines of a sample CSV, kept exactly (including a byte-order mark)."""

    path: Path
    lines: list[CsvLine]
    bom: str = ""

    @property
    def rows(self) -> list[CsvLine]:
        """The lines that hold a sample."""
        return [line for line in self.lines if line.fields]

    def text(self, lines: Iterable[CsvLine] | None = None) -> str:
        """File text made of ``lines`` (default: all of them), each with its own ending."""
        chosen = list(self.lines if lines is None else lines)
        parts = [self.bom]
        for i, line in enumerate(chosen):
            is_last = i == len(chosen) - 1
            parts.append(line.text + (line.end or ("" if is_last else LINE_END)))
        return "".join(parts)


def read_sample_csv(path: str | Path, *, n_head: int = CLASS_CSV_HEAD) -> CsvFile:
    """Read a sample CSV and check the layout of every line.

    Parameters
    ----------
    path : str or Path
        The file.
    n_head : {1, 2}
        Head fields before the coordinates: 2 for a single CSV (name, class), 1 for a
        per-class CSV (name).

    Returns
    -------
    CsvFile
        Every line, blank ones included, with its fields split.

    Raises
    ------
    SampleFileError
        The file cannot be read or is not UTF-8, a line is not valid CSV, has the wrong
        number of fields, or an empty sample or class name. Coordinates are checked by
        :func:`pyengine.samples.load_samples`.
    """
    path = Path(path)
    text = _read_text(path)
    bom = BOM if text.startswith(BOM) else ""
    lines = []
    for number, match in enumerate(LINE_PATTERN.finditer(text[len(bom) :]), start=1):
        line, end = match.group(1), match.group(2)
        if not line and not end:
            continue  # the empty match at the end of the text
        fields = _checked_fields(path, number, line, n_head) if line.strip() else ()
        lines.append(CsvLine(number, line, end, fields))
    return CsvFile(path, lines, bom)


def csv_text(rows: Sequence[tuple[Sequence[str], str]]) -> str:
    """CSV text of ``(fields, line_end)`` rows; only the last row may lack an ending."""
    buffer = io.StringIO()
    for i, (fields, end) in enumerate(rows):
        is_last = i == len(rows) - 1
        csv.writer(buffer, lineterminator=end or ("" if is_last else LINE_END)).writerow(fields)
    return buffer.getvalue()


def _read_text(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as handle:  # keep "\r\n" as read
            return handle.read()
    except UnicodeDecodeError as exc:
        raise SampleFileError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise SampleFileError(f"{path}: cannot read: {exc.strerror}") from None


def _checked_fields(path: Path, number: int, line: str, n_head: int) -> tuple[str, ...]:
    where = f"{path}:{number}"
    try:
        fields = next(csv.reader([line]))
    except csv.Error as exc:
        raise SampleFileError(f"{where}: {exc}") from None
    if len(fields) != n_head + N_COORDS:
        layout = "name, class, 99 coordinates" if n_head == 2 else "name, 99 coordinates"
        raise SampleFileError(
            f"{where}: expected {n_head + N_COORDS} fields ({layout}), found {len(fields)}"
        )
    if not fields[0].strip():
        raise SampleFileError(f"{where}: field 1 (sample name) is empty")
    if n_head == 2 and not fields[1].strip():
        raise SampleFileError(f"{where}: field 2 (class name) is empty")
    return tuple(fields)
