"""Training-set tools: bootstrap samples from images, align, clean outliers, convert.

The workflow of SPEC 8:

1. :func:`bootstrap_images` runs MediaPipe on ``images_in/<class>/*`` and writes
   ``csvs_out/<class>.csv`` plus annotated images to review;
2. after deleting the wrong images by hand, :func:`align` drops their CSV rows;
3. :func:`find_outliers` / :func:`remove_samples` clean samples their own set
   misclassifies;
4. :func:`class_stats` counts samples per class, and :func:`export_single` /
   :func:`export_folder` convert between the two sample formats for apps.

May import: :mod:`pyengine.samples` and :mod:`pyengine.sample_csv` (the files it
edits), :mod:`pyengine.classifier`, :mod:`pyengine.pose`, :mod:`pyengine.errors`. Never
:mod:`pyengine.video` or the command line.
"""

from __future__ import annotations

from ..errors import TrainingFolderError
from .align import AlignReport, align
from .bootstrap import BootstrapReport, ClassReport, bootstrap_images
from .export import ORDER_FILE, class_stats, export, export_folder, export_single
from .outliers import RemovalReport, find_outliers, remove_samples

__all__ = [
    "ORDER_FILE",
    "AlignReport",
    "BootstrapReport",
    "ClassReport",
    "RemovalReport",
    "TrainingFolderError",
    "align",
    "bootstrap_images",
    "class_stats",
    "export",
    "export_folder",
    "export_single",
    "find_outliers",
    "remove_samples",
]
