"""Per-frame cost of :class:`pyengine.video.render.Renderer` on a 1280x720 frame.

The renderer has a budget of 3 ms per 720p frame, so that a live loop keeps 30 fps on
a modest laptop with time left for the pose model. The result against that budget is
recorded in ``extra_info``; it is reported, never asserted.

Run with ``pytest benchmarks -k render --benchmark-enable``.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyengine import default_samples
from pyengine.video.render import Renderer

WIDTH, HEIGHT = 1280, 720
BUDGET_MS = 3.0
ROUNDS = 300


def _pose() -> np.ndarray:
    """A real BlazePose pose from the bundled samples, fitted into the frame."""
    landmarks = default_samples().landmarks[0].copy()
    xy = landmarks[:, :2]
    xy -= xy.min(axis=0)
    xy *= 0.8 * HEIGHT / xy.max()
    xy += (WIDTH * 0.35, HEIGHT * 0.1)
    return landmarks


def _warm_renderer(classes: list[str], pose: np.ndarray) -> Renderer:
    """A renderer whose plot already holds a full history, the steady state of a long run."""
    renderer = Renderer(WIDTH, HEIGHT, classes)
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for i in range(renderer.history):
        value = 5 + 5 * np.sin(i / 15)
        landmarks = None if i % 50 < 3 else pose  # a few no-pose gaps in the raw line
        raw = {c: round(value) for c in classes}
        renderer.draw(
            frame, landmarks, {c: i // 30 for c in classes}, raw, {c: value for c in classes}
        )
    return renderer


@pytest.mark.parametrize(
    ("classes", "with_pose"),
    [(["squats_down"], True), (["squats_down"], False), (["squats_down", "pushups_down"], True)],
    ids=["one-class-pose", "one-class-no-pose", "two-classes-pose"],
)
def test_render_720p_frame(benchmark, classes, with_pose):
    pose = _pose()
    renderer = _warm_renderer(classes, pose)
    background = np.random.default_rng(0).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    landmarks = pose if with_pose else None
    counts = {c: 7 for c in classes}
    raw = {c: 8 for c in classes} if with_pose else {}
    smoothed = {c: 7.4 for c in classes}

    def fresh_frame():
        return (background.copy(),), {}

    def draw(image):
        return renderer.draw(image, landmarks, counts, raw, smoothed)

    benchmark.pedantic(draw, setup=fresh_frame, rounds=ROUNDS, iterations=1, warmup_rounds=10)
    benchmark.extra_info["budget_ms"] = BUDGET_MS
    if benchmark.stats is not None:  # None when benchmarks are disabled
        median_ms = benchmark.stats.stats.median * 1e3
        benchmark.extra_info["median_ms"] = round(median_ms, 3)
        benchmark.extra_info["median_share_of_budget"] = round(median_ms / BUDGET_MS, 3)
        benchmark.extra_info["within_budget"] = median_ms <= BUDGET_MS
