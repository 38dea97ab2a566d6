"""The renderer draws where it should; `pyengine live` fails clearly without camera or display."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from pyengine import default_samples
from pyengine.cli import main
from pyengine.cli.capture_commands import require_window
from pyengine.errors import CameraError, InvalidPoseError
from pyengine.landmarks import INDEX
from pyengine.video.render import CLASS_COLOURS, Renderer

WIDTH, HEIGHT = 1280, 720
TARGET = "squats_down"


@pytest.fixture(scope="module")
def pose() -> np.ndarray:
    """A real BlazePose pose from the bundled samples, fitted into the middle of a 720p frame."""
    landmarks = default_samples().landmarks[0].copy()
    xy = landmarks[:, :2]
    xy -= xy.min(axis=0)
    xy *= 500 / xy.max()
    xy += (600, 120)
    return landmarks


def _grey_frame() -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), 100, dtype=np.uint8)


def _outside_panels(renderer: Renderer) -> np.ndarray:
    mask = np.ones((HEIGHT, WIDTH), dtype=bool)
    for x, y, w, h in (renderer.counter_box, renderer.plot_box):
        mask[y : y + h, x : x + w] = False
    return mask


def _draw(renderer, image, landmarks, smoothed=6.0, count=0):
    raw = {} if landmarks is None else {TARGET: round(smoothed)}
    return renderer.draw(image, landmarks, {TARGET: count}, raw, {TARGET: smoothed})


def test_skeleton_is_drawn_on_the_landmarks(pose):
    renderer = Renderer(WIDTH, HEIGHT, [TARGET])
    image = _grey_frame()
    assert _draw(renderer, image, pose) is image  # drawn in place
    changed = (image != 100).any(axis=2)
    for a, b in (
        ("left_shoulder", "left_elbow"),
        ("right_hip", "right_knee"),
        ("left_hip", "right_hip"),
    ):
        mid = np.round((pose[INDEX[a], :2] + pose[INDEX[b], :2]) / 2).astype(int)
        assert changed[mid[1], mid[0]], f"no line drawn between {a} and {b}"
    for name in ("nose", "left_ankle", "right_wrist"):
        x, y = np.round(pose[INDEX[name], :2]).astype(int)
        assert changed[y, x], f"no joint drawn at {name}"
    assert not changed[HEIGHT // 2, WIDTH - 5]  # far from the person and the panels


def test_no_pose_draws_only_the_panels(pose):
    renderer = Renderer(WIDTH, HEIGHT, [TARGET])
    image = _grey_frame()
    _draw(renderer, image, None)
    outside = _outside_panels(renderer)
    assert (image[outside] == 100).all()
    assert (image[~outside] != 100).any()  # the panels are there
    with_pose = _draw(Renderer(WIDTH, HEIGHT, [TARGET]), _grey_frame(), pose)
    assert (with_pose[outside] != 100).any()


def test_counter_panel_shows_the_count(pose):
    renderer = Renderer(WIDTH, HEIGHT, [TARGET])
    x, y, w, h = renderer.counter_box
    panels = []
    for count in (3, 12):
        image = _draw(renderer, _grey_frame(), pose, count=count)
        panels.append(image[y : y + h, x : x + w])
    assert not np.array_equal(panels[0], panels[1])


def _class_pixel_rows(image: np.ndarray, renderer: Renderer, colour) -> np.ndarray:
    x, y, w, h = renderer.plot_box
    panel = image[y : y + h, x : x + w].astype(int)
    close = (np.abs(panel - np.array(colour)) <= 12).all(axis=2)
    return np.nonzero(close)[0]


def test_plot_puts_high_confidence_higher_than_low(pose):
    colour = CLASS_COLOURS[0]
    rows = {}
    for confidence in (9.0, 1.0):
        renderer = Renderer(WIDTH, HEIGHT, [TARGET])
        for _ in range(40):
            image = _draw(renderer, _grey_frame(), pose, smoothed=confidence)
        found = _class_pixel_rows(image, renderer, colour)
        assert found.size > 40, "no plot line in the class colour"
        rows[confidence] = np.median(found)
    assert rows[9.0] < rows[1.0]  # image rows grow downwards
    _, top, _, bottom = renderer.plot_area
    assert rows[9.0] < top + 0.25 * (bottom - top) and rows[1.0] > top + 0.75 * (bottom - top)


def test_reset_clears_the_history(pose):
    renderer = Renderer(WIDTH, HEIGHT, [TARGET])
    for _ in range(30):
        _draw(renderer, _grey_frame(), pose, smoothed=8.0)
    renderer.reset()
    image = _draw(renderer, _grey_frame(), pose, smoothed=8.0)
    # one frame of history is a single point: no line yet
    assert _class_pixel_rows(image, renderer, CLASS_COLOURS[0]).size == 0


def test_partial_and_far_away_landmarks_do_not_crash(pose):
    renderer = Renderer(WIDTH, HEIGHT, [TARGET, "pushups_down"])
    odd = pose.copy()
    odd[INDEX["left_wrist"]] = np.nan
    odd[INDEX["right_ankle"], :2] = (1e12, -1e12)
    image = _grey_frame()
    renderer.draw(image, odd, {}, {}, {})
    assert (image != 100).any()


def test_portrait_frames_and_bad_input():
    renderer = Renderer(360, 640, ["pullups_down"])
    image = np.zeros((640, 360, 3), dtype=np.uint8)
    renderer.draw(image, None, {"pullups_down": 2}, {}, {"pullups_down": 3.5})
    assert image.any()
    with pytest.raises(ValueError, match=r"shape \(640, 360, 3\)"):
        renderer.draw(np.zeros((360, 640, 3), np.uint8), None, {}, {}, {})
    with pytest.raises(ValueError, match="uint8"):
        renderer.draw(np.zeros((640, 360, 3), np.float32), None, {}, {}, {})
    with pytest.raises(InvalidPoseError, match=r"shape \(33, 3\)"):
        renderer.draw(image, np.zeros((33, 2)), {}, {}, {})
    with pytest.raises(ValueError, match="target_classes"):
        Renderer(360, 640, "pullups_down")


def _pose_in_box(sample: int, box: tuple[float, float, float, float]) -> np.ndarray:
    """Bundled sample ``sample`` scaled into ``box`` (x0, y0, x1, y1), keeping its shape."""
    landmarks = default_samples().landmarks[sample].copy()
    xy = landmarks[:, :2]
    xy -= xy.min(axis=0)
    xy *= min((box[2] - box[0]) / xy[:, 0].max(), (box[3] - box[1]) / xy[:, 1].max())
    xy += box[:2]
    return landmarks


def _overlap(box: tuple[int, int, int, int], landmarks: np.ndarray) -> int:
    """Joints of ``landmarks`` inside the (x, y, w, h) ``box``."""
    x, y, w, h = box
    xy = landmarks[:, :2]
    return int(((xy[:, 0] >= x) & (xy[:, 0] < x + w) & (xy[:, 1] >= y) & (xy[:, 1] < y + h)).sum())


def test_the_plot_moves_off_a_push_up():
    # A side-view push-up fills the bottom of the frame, where the plot starts.
    samples = default_samples()
    pushup = int(np.flatnonzero(np.array(samples.labels) == "pushups_down")[0])
    body = _pose_in_box(pushup, (80, 420, 1150, 690))
    renderer = Renderer(WIDTH, HEIGHT, [TARGET, "pushups_down"])
    _draw(renderer, _grey_frame(), None)
    assert _overlap(renderer.plot_box, body) > 0  # bottom left: on the person
    image = _draw(renderer, _grey_frame(), body)
    assert _overlap(renderer.plot_box, body) == 0
    x, y, w, h = renderer.plot_box
    assert y + h < 420 and (image[y : y + h, x : x + w] != 100).any()  # drawn up there


def test_the_plot_stays_put_until_another_corner_is_better_for_a_while():
    samples = default_samples()
    squat = int(np.flatnonzero(np.array(samples.labels) == "squats_up")[0])
    left = _pose_in_box(squat, (60, 200, 400, 700))
    right = _pose_in_box(squat, (880, 200, 1220, 700))
    renderer = Renderer(WIDTH, HEIGHT, [TARGET])
    _draw(renderer, _grey_frame(), left)
    first = renderer.plot_box
    assert _overlap(first, left) == 0
    for _ in range(5):  # a few frames elsewhere (a mis-detection) do not move it
        _draw(renderer, _grey_frame(), right)
        _draw(renderer, _grey_frame(), None)
    assert renderer.plot_box == first
    for _ in range(200):  # the person has crossed over for good: it follows
        _draw(renderer, _grey_frame(), right)
    assert renderer.plot_box != first and _overlap(renderer.plot_box, right) == 0


@pytest.mark.parametrize("size", [(480, 360), (360, 640), (1920, 1080)])
def test_text_stays_legible_on_small_and_portrait_frames(size):
    import cv2

    from pyengine.video.render import FONT

    renderer = Renderer(*size, ["squats_down", "pushups_down"])
    letters = cv2.getTextSize("Hg", FONT, renderer.small_font_scale, 1)[0][1]
    assert letters >= 9  # pixels: readable without zooming in
    x, y, w, h = renderer.counter_box
    px, py, pw, ph = renderer.plot_box
    assert x + w <= size[0] and y + h <= size[1] and px + pw <= size[0] and py + ph <= size[1]
    assert not (x < px + pw and px < x + w and y < py + ph and py < y + h)  # panels apart


# ---------------------------------------------------------------- pyengine live

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the display checks are for Linux"
)


@linux_only
def test_live_without_display_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["live"]) == 2
    err = capsys.readouterr().err
    assert "pyengine live: error: no display" in err and "DISPLAY" in err


@linux_only
def test_live_without_camera_is_a_clear_error(monkeypatch, capsys):
    if Path("/dev/video99").exists():
        pytest.skip("this machine has a camera at index 99")
    monkeypatch.setenv("DISPLAY", ":99")
    assert main(["live", "--camera", "99", "--backend", "reference"]) == 2
    assert "pyengine live: error: no camera at index 99" in capsys.readouterr().err


@linux_only
def test_live_rejects_an_unknown_exercise_before_opening_anything(monkeypatch, capsys):
    monkeypatch.setenv("DISPLAY", ":99")
    assert main(["live", "--exercise", "squats_down", "--exercise", "lunges_down"]) == 2
    err = capsys.readouterr().err
    assert "unknown class 'lunges_down'" in err and "squats_down" in err


@linux_only
def test_window_on_an_unreachable_display_is_an_error_not_an_abort(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":987")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(CameraError, match="cannot open a window on display ':987'"):
        require_window()


def test_live_counting_counts_and_freezes_on_no_pose():
    from pyengine import PoseClassifier
    from pyengine.counting import CountingStage, target_classes

    samples = default_samples()
    targets = target_classes(samples, None)
    assert set(targets) == {"squats_down", "pushups_down"}
    counting = CountingStage(PoseClassifier(samples), targets)
    down = [samples.landmarks[i] for i, c in enumerate(samples.labels) if c == "squats_down"]
    up = [samples.landmarks[i] for i, c in enumerate(samples.labels) if c == "squats_up"]
    frame_index = iter(range(10_000))

    def feed(poses):
        return [counting(next(frame_index), 0.0, pose) for pose in poses][-1]

    result = feed(down[:20])
    assert result.landmarks is not None and result.raw.get("squats_down", 0) > 6
    assert result.smoothed["squats_down"] > 6
    assert result.counts == {"squats_down": 0, "pushups_down": 0}
    feed([None] * 3)
    feed(down[20:25])
    # no person for a while: smoothing decays below the exit threshold, but the
    # counters are frozen in the pose, so the gap itself counts nothing
    result = feed([None] * 15)
    assert result.landmarks is None and result.raw == {}
    assert result.smoothed.get("squats_down", 0) < 4
    assert result.counts == {"squats_down": 0, "pushups_down": 0}
    assert feed(up[:20]).counts == {"squats_down": 1, "pushups_down": 0}
    # a pose that cannot be embedded (all points on one spot) is no pose, not a crash
    result = feed([np.zeros((33, 3), np.float32)])
    assert result.raw == {} and result.counts["squats_down"] == 1
    counting.reset()
    assert counting.counts == {"squats_down": 0, "pushups_down": 0}
    assert counting.repetitions == {"squats_down": [], "pushups_down": []}
    assert feed([up[0]]).counts == {"squats_down": 0, "pushups_down": 0}
