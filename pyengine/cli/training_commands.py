"""Training-set sub-commands: bootstrap, align, outliers, export, stats (SPEC 8)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import training
from .._files import check_output_file, check_output_folder
from ..classifier import Outlier, PoseClassifier
from ..errors import SampleFileError
from ..samples import load_samples
from ..training.export import format_stats
from ._arguments import add_backend_argument, add_model_argument, positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands to ``subparsers``."""
    _register_bootstrap(subparsers)
    _register_align(subparsers)
    _register_outliers(subparsers)
    _register_export(subparsers)
    _register_stats(subparsers)


# ---------------------------------------------------------------- bootstrap


def _register_bootstrap(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bootstrap",
        help="build per-class sample CSVs and annotated images from IMAGES_IN/<class>/*.jpg",
        description="Run MediaPipe (static-image mode) on IMAGES_IN/<class>/*.jpg|jpeg|png; write "
        "<class>.csv rows to --csvs-out and annotated images to --images-out/<class>/. "
        "A re-run skips images already done.",
    )
    p.add_argument("images_in", type=Path, metavar="IMAGES_IN", help="folder of class folders")
    p.add_argument("--csvs-out", type=Path, required=True, metavar="DIR")
    p.add_argument("--images-out", type=Path, required=True, metavar="DIR")
    p.add_argument("--limit", type=positive_int, metavar="N", help="at most N images per class")
    p.add_argument("--force", action="store_true", help="process images an earlier run finished")
    add_model_argument(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_run_bootstrap)


def _run_bootstrap(args: argparse.Namespace) -> int:
    check_output_folder(args.csvs_out, "--csvs-out")
    check_output_folder(args.images_out, "--images-out")
    report = training.bootstrap_images(
        args.images_in,
        args.csvs_out,
        args.images_out,
        limit=args.limit,
        force=args.force,
        model=args.model,
        progress=not args.no_progress,
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for path in report.unreadable:
        print(f"unreadable (not an image): {path}", file=sys.stderr)
    for path in report.no_pose:
        print(f"no pose found: {path}")
    columns = ("images", "skipped", "with_pose", "no_pose", "unreadable", "csv_rows")
    rows = [*report.classes, report.totals()]
    width = max(len(r.class_name) for r in rows)
    print(f"{'class':<{width}}  " + "  ".join(f"{c:>10}" for c in columns))
    for r in rows:
        print(f"{r.class_name:<{width}}  " + "  ".join(f"{getattr(r, c):>10}" for c in columns))
    return 0


# ---------------------------------------------------------------- align


def _register_align(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "align",
        help="drop CSV rows whose image was deleted, and delete images with no CSV row",
    )
    p.add_argument("--csvs", type=Path, required=True, metavar="DIR", help="folder of <class>.csv")
    p.add_argument(
        "--images", type=Path, required=True, metavar="DIR", help="folder of <class>/ folders"
    )
    p.add_argument("--dry-run", action="store_true", help="only say what would be done")
    p.set_defaults(run=_run_align)


def _run_align(args: argparse.Namespace) -> int:
    if not args.dry_run:
        check_output_folder(args.csvs, "--csvs")
        check_output_folder(args.images, "--images")
    report = training.align(args.csvs, args.images, dry_run=args.dry_run)
    verb = "would " if report.dry_run else ""
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for class_name, name in report.dropped_rows:
        print(f"{verb}drop row {class_name}/{name} (image deleted)")
    for path in report.deleted_images:
        print(f"{verb}delete image {path} (no CSV row)")
    for path in report.deleted_csvs:
        print(f"{verb}delete {path} (no row left)")
    passive = "would be " if report.dry_run else ""
    print(
        f"{len(report.dropped_rows)} row(s) {passive}dropped, "
        f"{len(report.deleted_images)} image(s) {passive}deleted"
    )
    return 0


# ---------------------------------------------------------------- outliers


def _register_outliers(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "outliers",
        help="list (and optionally remove) samples their own set misclassifies",
        description="Classify every sample against the whole set (SPEC 4); a sample is an "
        "outlier when its class is not the single most voted one.",
    )
    p.add_argument("samples", type=Path, metavar="SAMPLES", help="single CSV or class-CSV folder")
    p.add_argument("--remove", action="store_true", help="rewrite the sample file(s) without them")
    p.add_argument(
        "--images", type=Path, metavar="DIR", help="--remove also deletes DIR/<class>/<name>"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_backend_argument(p)
    p.set_defaults(run=_run_outliers)


def _run_outliers(args: argparse.Namespace) -> int:
    if args.images is not None and not args.remove:
        raise SampleFileError("--images only makes sense with --remove")
    if args.remove:  # rewritten in place: find out now that it can be
        folder = args.samples if args.samples.is_dir() else args.samples.parent
        check_output_folder(folder, "SAMPLES")
        if args.images is not None:
            check_output_folder(args.images, "--images")
    samples = load_samples(args.samples)
    classifier = PoseClassifier(samples, backend=args.backend)
    outliers = classifier.find_outliers()
    removal = None
    if args.remove and outliers:
        removal = training.remove_samples(args.samples, outliers, images=args.images)
    if args.json:
        print(json.dumps(_outliers_json(args, classifier, outliers, removal), indent=2))
        return 0
    for o in outliers:
        counts = ", ".join(f"{c}: {k}" for c, k in o.counts.items())
        detected = "/".join(o.detected_classes) or "-"
        print(f"{o.name}  class {o.class_name}  detected {detected}  ({counts})")
    print(f"{len(outliers)} outlier(s) among {len(samples)} samples (backend {classifier.backend})")
    if removal is not None:
        print(
            f"removed {len(removal.removed)} sample(s): rewrote {len(removal.rewritten)} file(s), "
            f"deleted {len(removal.deleted_csvs)} empty CSV(s) "
            f"and {len(removal.deleted_images)} image(s)"
        )
    return 0


def _outliers_json(args, classifier: PoseClassifier, outliers: list[Outlier], removal) -> dict:
    return {
        "samples": str(args.samples),
        "n_samples": len(classifier.samples),
        "backend": classifier.backend,
        "outliers": [
            {
                "index": o.index,
                "name": o.name,
                "class": o.class_name,
                "detected_classes": list(o.detected_classes),
                "counts": o.counts,
                "source": o.source,
            }
            for o in outliers
        ],
        "removed": removal is not None,
        "deleted_images": [str(p) for p in removal.deleted_images] if removal else [],
    }


# ---------------------------------------------------------------- export, stats


def _register_export(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="convert a folder of class CSVs to a single ML Kit CSV, or back",
        description="SRC a folder -> DST a single CSV; SRC a file -> DST a folder of <class>.csv "
        "(plus row_order.txt, so that exporting back reproduces the file byte for byte).",
    )
    p.add_argument("src", type=Path, metavar="SRC")
    p.add_argument("dst", type=Path, metavar="DST")
    p.add_argument("--to", choices=("single", "folder"), help="format of DST (default: the other)")
    p.add_argument("--force", action="store_true", help="overwrite DST")
    p.set_defaults(run=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    to = args.to or ("single" if args.src.is_dir() else "folder")
    if to == "single":
        check_output_file(args.dst, "DST")
    else:
        check_output_folder(args.dst, "DST")
    written = training.export(args.src, args.dst, to=args.to, overwrite=args.force)
    for path in written:
        print(f"wrote {path}")
    return 0


def _register_stats(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("stats", help="samples per class")
    p.add_argument("samples", type=Path, metavar="SAMPLES", help="single CSV or class-CSV folder")
    p.set_defaults(run=_run_stats)


def _run_stats(args: argparse.Namespace) -> int:
    print(format_stats(training.class_stats(args.samples)))
    return 0
