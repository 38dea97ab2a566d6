"""What a counting run reports: the JSON report, its schema, and the printed summary.

- :mod:`~pyengine.report.build`: :func:`build_report`, :func:`write_report` and
  :func:`load_schema` (``schema.json``; the format is in ``docs/report_format.md``).
- :mod:`~pyengine.report.summary`: :func:`format_summary`, the text ``pyengine count``
  prints.

May import: :mod:`pyengine.counting`, :mod:`pyengine.video.pipeline` (the result it
describes), :mod:`pyengine.timing`. Never the command line.
"""

from __future__ import annotations

from .build import REPORT_FORMAT_VERSION, build_report, load_schema, write_report
from .summary import format_summary

__all__ = [
    "REPORT_FORMAT_VERSION",
    "build_report",
    "format_summary",
    "load_schema",
    "write_report",
]
