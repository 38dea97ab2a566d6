"""Draw the skeleton, repetition counts and a confidence-history plot onto video frames.

Everything is drawn with OpenCV primitives straight into the frame, so that rendering
stays within a few milliseconds per 720p frame and a live loop keeps its frame rate.

The plot goes in the corner the person is not in: the renderer remembers where the
skeleton was over the last few seconds and moves the plot (bottom left, bottom right or
top right; the counters stay top left) when another corner covers less of the person
for half a second, so it neither hides a push-up nor jumps about. Text keeps a legible
size on small (480 px) and portrait frames.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from ..errors import InvalidPoseError
from ..landmarks import LANDMARK_NAMES, N_DIMS, N_LANDMARKS, SKELETON_EDGES
from ..settings import DEFAULT_SETTINGS

# BGR colours.
LEFT_COLOUR = (0, 138, 255)  # orange: the person's left side, as MediaPipe draws it
RIGHT_COLOUR = (230, 216, 0)  # cyan-blue: the right side
CENTRE_COLOUR = (235, 235, 235)
TEXT_COLOUR = (255, 255, 255)
GRID_COLOUR = (70, 70, 70)
THRESHOLD_COLOUR = (60, 60, 140)
#: One colour per target class (cycled), for its counter line and its plot lines.
CLASS_COLOURS = ((80, 220, 80), (60, 170, 255), (255, 120, 200), (80, 240, 240), (240, 180, 60))

FONT = cv2.FONT_HERSHEY_SIMPLEX
PANEL_DIM = 0.35  # panel backgrounds keep this much of the video's brightness
#: Text is never drawn smaller than at this layout scale (about 10 px high letters).
MIN_TEXT_SCALE = 0.7
#: Frames of skeleton positions the plot placement looks at (about 3 s at 30 fps).
PERSON_MEMORY = 90
#: Frames another corner must stay clearly better before the plot moves there.
MOVE_AFTER = 15
#: "Clearly better": it covers this much less of the person (share of the plot's area).
MOVE_MARGIN = 0.08
FIXED_POINT_SHIFT = 4  # polylines takes 1/16-pixel coordinates: smooth anti-aliased curves
_SHIFT_SCALE = float(1 << FIXED_POINT_SHIFT)

#: Per landmark: 0 centre (nose), 1 the person's left side, 2 their right side.
_SIDE = np.array(
    [1 if "left" in n else 2 if "right" in n else 0 for n in LANDMARK_NAMES], dtype=np.int8
)
#: Skeleton edges grouped by the side of the body they are on (0: centre or across).
_EDGES_BY_SIDE = tuple(
    [
        np.array(e)
        for e in SKELETON_EDGES
        if (_SIDE[e[0]] if _SIDE[e[0]] == _SIDE[e[1]] else 0) == side
    ]
    for side in range(3)
)


class Renderer:
    """Draw a pose, rep counts and a rolling classification-history plot onto frames.

    Parameters
    ----------
    width, height : int
        Size of the frames that will be drawn on.
    target_classes : sequence of str
        The classes whose repetitions are counted (one counter line and one pair of plot
        lines each).
    history : int
        Number of most recent frames shown in the plot.
    top_n : int
        Top of the plot's y range: the classifier's ``top_n_by_mean_distance``.
    thresholds : tuple of float, optional
        ``(enter, exit)`` of the repetition counter, drawn as horizontal lines.

    Notes
    -----
    The plot shows, per target class, the raw neighbour count (thin line, with gaps
    where the frame had no pose) and the smoothed confidence (thick line).
    """

    def __init__(
        self,
        width: int,
        height: int,
        target_classes: Sequence[str],
        history: int = 300,
        *,
        top_n: int = DEFAULT_SETTINGS.top_n_by_mean_distance,
        thresholds: tuple[float, float] | None = (
            DEFAULT_SETTINGS.enter_threshold,
            DEFAULT_SETTINGS.exit_threshold,
        ),
    ) -> None:
        if width < 64 or height < 64:
            raise ValueError(f"frames must be at least 64x64 pixels, got {width}x{height}")
        if isinstance(target_classes, str) or not target_classes:
            raise ValueError("target_classes must be a non-empty sequence of class names")
        if history < 2:
            raise ValueError(f"history must be at least 2 frames, got {history}")
        if top_n < 1:
            raise ValueError(f"top_n must be >= 1, got {top_n}")
        self.width, self.height = int(width), int(height)
        self.target_classes = tuple(target_classes)
        self.history = int(history)
        self.top_n = top_n
        self.thresholds = thresholds
        self._layout()
        self._plot_overlay = self._draw_plot_overlay()
        self._person_boxes: deque[tuple[float, float, float, float]] = deque(maxlen=PERSON_MEMORY)
        self._placed = False
        self._candidate: tuple[int, int] = (0, 0)  # (corner index, frames it has led)
        self._raw: dict[str, deque[float]] = {
            c: deque(maxlen=self.history) for c in self.target_classes
        }
        self._smoothed: dict[str, deque[float]] = {
            c: deque(maxlen=self.history) for c in self.target_classes
        }

    def reset(self) -> None:
        """Forget the plotted history (e.g. when the counters are reset)."""
        for series in (*self._raw.values(), *self._smoothed.values()):
            series.clear()

    @property
    def plot_box(self) -> tuple[int, int, int, int]:
        """``(x, y, width, height)`` of the plot where it is drawn now."""
        return self.plot_corners[self.plot_corner]

    def draw(
        self,
        image: np.ndarray,
        landmarks: np.ndarray | None,
        counts: Mapping[str, int],
        raw: Mapping[str, float],
        smoothed: Mapping[str, float],
    ) -> np.ndarray:
        """Draw one frame's overlay onto ``image`` in place and return it.

        Parameters
        ----------
        image : numpy.ndarray
            BGR ``uint8`` ``(height, width, 3)`` frame, drawn on in place.
        landmarks : numpy.ndarray or None
            ``(33, 3)`` pixel-scaled landmarks, or ``None`` when the frame has no pose
            (no skeleton is drawn, and the raw plot line has a gap).
        counts : mapping
            Repetitions so far per target class.
        raw, smoothed : mapping
            This frame's ``{class: neighbour count}`` and smoothed ``{class: confidence}``;
            missing classes count as 0.

        Returns
        -------
        numpy.ndarray
            ``image``.
        """
        self._check_image(image)
        for c in self.target_classes:
            self._raw[c].append(np.nan if landmarks is None else float(raw.get(c, 0.0)))
            self._smoothed[c].append(float(smoothed.get(c, 0.0)))
        if landmarks is not None:
            checked = _checked_landmarks(landmarks)
            self._remember_person(checked)
            self._draw_skeleton(image, checked)
        self._place_plot()
        self._draw_counter_panel(image, counts)
        self._draw_plot(image)
        return image

    # ------------------------------------------------------------ placement

    def _remember_person(self, landmarks: np.ndarray) -> None:
        xy = landmarks[:, :2]
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) == 0:
            return
        low = np.clip(xy.min(axis=0), 0, (self.width, self.height))
        high = np.clip(xy.max(axis=0), 0, (self.width, self.height))
        pad = 0.04 * max(self.width, self.height)  # the body is wider than its joints
        self._person_boxes.append((low[0] - pad, low[1] - pad, high[0] + pad, high[1] + pad))

    def _place_plot(self) -> None:
        """Move the plot to the corner that covers least of the person, without jitter."""
        if not self._person_boxes:
            return
        boxes = np.array(self._person_boxes)
        person = (*boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0))
        cover = [_covered_share(corner, person) for corner in self.plot_corners]
        best = int(np.argmin(cover))
        if not self._placed:  # the first person seen: go there at once
            self.plot_corner, self._placed = best, True
            return
        if cover[best] + MOVE_MARGIN >= cover[self.plot_corner]:
            self._candidate = (best, 0)
            return
        led = self._candidate[1] + 1 if self._candidate[0] == best else 1
        self._candidate = (best, led)
        if led >= MOVE_AFTER:
            self.plot_corner, self._candidate = best, (best, 0)

    # ------------------------------------------------------------ layout

    def _layout(self) -> None:
        w, h = self.width, self.height
        self.scale = max(0.45, min(w, h) / 720.0)
        s = self.scale
        text = max(s, MIN_TEXT_SCALE)  # legible on 480 px and portrait frames too
        self.text_scale = text
        self.margin = round(14 * s)
        self.line_thickness = max(1, round(3 * s))
        self.joint_radius = max(2, round(5 * s))
        self.font_scale = 0.75 * text
        self.small_font_scale = 0.55 * text
        self.text_thickness = max(1, round(2 * s))
        self.row_height = round(58 * text)
        half = self.line_thickness // 2
        self._thick_shifts = tuple(
            np.array([0, dy << FIXED_POINT_SHIFT], dtype=np.int32) for dy in range(-half, half + 1)
        )
        self._confidence_text_width = cv2.getTextSize(
            f"{self.top_n} | {self.top_n:.1f}", FONT, self.small_font_scale, 1
        )[0][0]
        widest = max(
            cv2.getTextSize(f"{c}: 000", FONT, self.font_scale, self.text_thickness)[0][0]
            for c in self.target_classes
        )
        counter_width = min(w - 2 * self.margin, max(round(330 * text), widest + round(20 * text)))
        counter_height = round(14 * text) + self.row_height * len(self.target_classes)
        self.counter_box = (self.margin, self.margin, counter_width, counter_height)
        portrait = w < h
        plot_width = round(w * (0.62 if portrait else 0.42))
        plot_height = max(60, round(h * (0.2 if portrait else 0.28)))
        left, right = self.margin, w - self.margin - plot_width
        top, bottom = self.margin, h - self.margin - plot_height
        below_counter = min(bottom, self.margin + counter_height + self.margin)
        #: Where the plot may go: bottom left (the start), bottom right, top right (below
        #: the counters when they are as wide as the frame).
        self.plot_corners = (
            (left, bottom, plot_width, plot_height),
            (right, bottom, plot_width, plot_height),
            (right, top if right >= self.margin + counter_width else below_counter,
             plot_width, plot_height),
        )  # fmt: skip
        self.plot_corner = 0
        pad = round(8 * s)
        label_width = cv2.getTextSize(str(self.top_n), FONT, self.small_font_scale, 1)[0][0]
        self.plot_area = (  # x0, y0, x1, y1 of the data area, in panel coordinates
            pad + label_width + pad,
            pad + round(18 * s),
            plot_width - pad,
            plot_height - pad,
        )

    def _draw_plot_overlay(self) -> np.ndarray:
        """Axes, grid, labels and legend of the plot, drawn once and added every frame."""
        _, _, pw, ph = self.plot_box
        overlay = np.zeros((ph, pw, 3), dtype=np.uint8)
        x0, y0, x1, _ = self.plot_area
        for level in range(0, self.top_n + 1, max(1, self.top_n // 5)):
            y = self._value_to_y(level)
            cv2.line(overlay, (x0, y), (x1, y), GRID_COLOUR, 1)
        if self.thresholds is not None:
            for threshold in self.thresholds:
                if 0 <= threshold <= self.top_n:
                    y = self._value_to_y(threshold)
                    cv2.line(overlay, (x0, y), (x1, y), THRESHOLD_COLOUR, 1)
        for level in (0, self.top_n):
            cv2.putText(
                overlay,
                str(level),
                (round(8 * self.scale), self._value_to_y(level) + 4),
                FONT,
                self.small_font_scale,
                TEXT_COLOUR,
                1,
                cv2.LINE_AA,
            )
        legend = "thin: raw   thick: smoothed"
        cv2.putText(
            overlay,
            legend,
            (x0, y0 - round(6 * self.scale)),
            FONT,
            self.small_font_scale,
            TEXT_COLOUR,
            1,
            cv2.LINE_AA,
        )
        return overlay

    def _value_to_y(self, value: float) -> int:
        _, y0, _, y1 = self.plot_area
        return round(y1 - (y1 - y0) * value / self.top_n)

    # ------------------------------------------------------------ drawing

    def _check_image(self, image: np.ndarray) -> None:
        expected = (self.height, self.width, 3)
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape != expected:
            got = (
                f"{image.dtype} {image.shape}"
                if isinstance(image, np.ndarray)
                else type(image).__name__
            )
            raise ValueError(f"image must be a BGR uint8 array of shape {expected}, got {got}")

    def _draw_skeleton(self, image: np.ndarray, landmarks: np.ndarray) -> None:
        xy = landmarks[:, :2]
        finite = np.isfinite(xy).all(axis=1)
        limit = 4.0 * max(self.width, self.height)  # keep far-off points inside int range
        points = np.round(np.clip(np.where(finite[:, None], xy, 0), -limit, limit)).astype(np.int32)
        for side, edges in enumerate(_EDGES_BY_SIDE):
            segments = [points[edge] for edge in edges if finite[edge].all()]
            if segments:
                cv2.polylines(
                    image, segments, False, _side_colour(side), self.line_thickness, cv2.LINE_AA
                )
        for i in np.flatnonzero(finite):
            cv2.circle(
                image, tuple(points[i]), self.joint_radius, _side_colour(_SIDE[i]), -1, cv2.LINE_AA
            )

    def _draw_counter_panel(self, image: np.ndarray, counts: Mapping[str, int]) -> None:
        x, y, w, _ = self.counter_box
        _dim(image, self.counter_box)
        s = self.text_scale
        for row, c in enumerate(self.target_classes):
            colour = CLASS_COLOURS[row % len(CLASS_COLOURS)]
            top = y + round(8 * s) + row * self.row_height
            cv2.putText(
                image,
                f"{c}: {int(counts.get(c, 0))}",
                (x + round(10 * s), top + round(24 * s)),
                FONT,
                self.font_scale,
                colour,
                self.text_thickness,
                cv2.LINE_AA,
            )
            self._draw_confidence_bar(
                image, c, x + round(10 * s), top + round(34 * s), w - round(20 * s)
            )

    def _draw_confidence_bar(
        self, image: np.ndarray, class_name: str, x: int, y: int, width: int
    ) -> None:
        raw, smoothed = self._raw[class_name][-1], self._smoothed[class_name][-1]
        text = f"{'-' if np.isnan(raw) else f'{raw:g}'} | {smoothed:.1f}"
        bar_width = max(10, width - self._confidence_text_width - round(10 * self.text_scale))
        bar_height = max(4, round(10 * self.text_scale))
        filled = round(bar_width * min(max(smoothed / self.top_n, 0.0), 1.0))
        cv2.rectangle(image, (x, y), (x + bar_width, y + bar_height), GRID_COLOUR, 1)
        if filled > 0:
            cv2.rectangle(image, (x, y), (x + filled, y + bar_height), TEXT_COLOUR, -1)
        cv2.putText(
            image,
            text,
            (x + bar_width + round(8 * self.text_scale), y + bar_height),
            FONT,
            self.small_font_scale,
            TEXT_COLOUR,
            1,
            cv2.LINE_AA,
        )

    def _draw_plot(self, image: np.ndarray) -> None:
        px, py, pw, ph = self.plot_box
        _dim(image, self.plot_box)
        panel = image[py : py + ph, px : px + pw]
        cv2.add(panel, self._plot_overlay, dst=panel)
        x0, _, x1, _ = self.plot_area
        dx = (x1 - x0) / (self.history - 1)
        for row, c in enumerate(self.target_classes):
            colour = CLASS_COLOURS[row % len(CLASS_COLOURS)]
            raw = self._polyline_segments(_as_array(self._raw[c]), dx, px, py)
            if raw:
                cv2.polylines(image, raw, False, colour, 1, cv2.LINE_AA, FIXED_POINT_SHIFT)
            smoothed = self._polyline_segments(_as_array(self._smoothed[c]), dx, px, py)
            for shift in self._thick_shifts if smoothed else ():
                # Thin anti-aliased lines side by side: a smooth thick line at a tenth
                # of the cost of polylines' own thick anti-aliasing.
                shifted = [segment + shift for segment in smoothed]
                cv2.polylines(image, shifted, False, colour, 1, cv2.LINE_AA, FIXED_POINT_SHIFT)

    def _polyline_segments(
        self, values: np.ndarray, dx: float, px: int, py: int
    ) -> list[np.ndarray]:
        """Fixed-point image coordinates of ``values``, split into runs at NaN (no pose)."""
        x0, y0, _, y1 = self.plot_area
        xs = px + x0 + dx * np.arange(len(values))
        ys = py + y1 - (y1 - y0) * np.clip(values, 0, self.top_n) / self.top_n
        points = np.round(np.stack([xs, ys], axis=1) * _SHIFT_SCALE)
        finite = np.isfinite(values)
        edges = np.flatnonzero(np.diff(finite.astype(np.int8))) + 1
        runs = np.split(np.arange(len(values)), edges)
        return [points[r].astype(np.int32) for r in runs if len(r) > 1 and finite[r[0]]]


def _covered_share(box: tuple[int, int, int, int], person: tuple[float, ...]) -> float:
    """The share of ``box`` (x, y, w, h) that the ``person`` box (x0, y0, x1, y1) covers."""
    x, y, w, h = box
    dx = min(x + w, person[2]) - max(x, person[0])
    dy = min(y + h, person[3]) - max(y, person[1])
    return max(dx, 0.0) * max(dy, 0.0) / (w * h)


def _as_array(series: deque[float]) -> np.ndarray:
    return np.fromiter(series, float, len(series))


def _side_colour(side: int) -> tuple[int, int, int]:
    return (CENTRE_COLOUR, LEFT_COLOUR, RIGHT_COLOUR)[side]


def _dim(image: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Darken a rectangle of ``image`` in place so that what is drawn on it stands out."""
    x, y, w, h = box
    roi = image[y : y + h, x : x + w]
    cv2.convertScaleAbs(roi, dst=roi, alpha=PANEL_DIM)


def _checked_landmarks(landmarks: np.ndarray) -> np.ndarray:
    landmarks = np.asarray(landmarks, dtype=np.float32)
    if landmarks.shape != (N_LANDMARKS, N_DIMS):
        raise InvalidPoseError(f"landmarks must have shape (33, 3), got {landmarks.shape}")
    return landmarks
