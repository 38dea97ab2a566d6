"""The plain-text summary printed from a report (``pyengine count`` without ``--quiet``)."""

from __future__ import annotations

from typing import Any

from ..timing import STAGES


def format_summary(report: dict[str, Any]) -> str:
    """A plain-text summary of a report: counts, repetitions, gaps, latency, speed."""
    lines = [_input_line(report), ""]
    lines += _counts_table(report)
    lines.append("")
    no_pose = report["no_pose_frames"]
    ranges = ", ".join(_range_text(a, b) for a, b in no_pose["ranges"][:8])
    more = " ..." if len(no_pose["ranges"]) > 8 else ""
    frames = report["input"]["frames_processed"]
    lines.append(
        f"frames without a pose: {no_pose['count']} of {frames}"
        + (f" ({ranges}{more})" if ranges else "")
    )
    lines.append("")
    lines += _latency_table(report["latency_ms"])
    settings = report["settings"]
    source = report["input"]["landmarks_model"] or "unknown model"
    model = settings["model"] or f"none (saved landmarks from {source})"
    lines.append("")
    lines.append(_speed_line(report))
    lines.append(f"classifier back end: {settings['backend']}; pose model: {model}")
    if report.get("interrupted"):
        lines.append(f"interrupted: these results cover the first {frames} frames only")
    return "\n".join(lines)


def _speed_line(report: dict[str, Any]) -> str:
    """Speed in terms a user can judge: against the video's own duration, or per frame."""
    frames = report["input"]["frames_processed"]
    wall = report["wall_time_s"]
    fps = report["input"]["fps"]
    if report["settings"]["model"] is None:  # no pose model: only pyengine's own work ran
        latency = report["latency_ms"]
        own = sum(latency[s]["mean"] for s in ("classify", "smooth_count") if s in latency)
        budget = 1000.0 / fps if fps else 0.0
        share = f", {100 * own / budget:.2f}% of a {fps:g} fps frame's time" if budget else ""
        return f"classifying and counting: {own:.3f} ms per frame{share} ({frames} frames)"
    if not frames or not fps or wall <= 0:
        return f"speed: {report['effective_fps']:.1f} frames per second"
    video_s = frames / fps
    return (
        f"speed: {report['effective_fps']:.1f} frames per second, {video_s / wall:.2f}x real "
        f"time ({video_s:.1f} s of video in {wall:.1f} s)"
    )


def _input_line(report: dict[str, Any]) -> str:
    info = report["input"]
    source = info["path"] or info["landmarks_path"] or info["source"]
    size = f"{info['width']}x{info['height']}" if info["width"] else "size unknown"
    return f"{source}: {info['frames_processed']} frames, {size}, {info['fps']:.3f} fps"


def _counts_table(report: dict[str, Any]) -> list[str]:
    width = max(len("class"), *(len(c) for c in report["counts"]))
    lines = [f"{'class':<{width}}  reps  repetitions (start-end, s)"]
    for name, count in report["counts"].items():
        reps = report["repetitions"][name]
        times = ", ".join(f"{r['start_s']:.2f}-{r['end_s']:.2f}" for r in reps)
        lines.append(f"{name:<{width}}  {count:>4}  {times or '-'}")
    return lines


def _latency_table(latency: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{'stage':<13} {'mean ms':>9} {'p50 ms':>9} {'p95 ms':>9} {'frames':>7}"]
    for stage in STAGES:
        if stage in latency:
            s = latency[stage]
            lines.append(
                f"{stage:<13} {s['mean']:>9.3f} {s['p50']:>9.3f} {s['p95']:>9.3f} {s['n']:>7}"
            )
    return lines


def _range_text(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"
