"""Annotated bootstrap images: the skeleton on the image, and its X-Z projection beside it.

This follows the published Pose Classification Colab: the output is the original image
with the skeleton drawn, concatenated horizontally with a white panel of the same size
where every bone is drawn at ``(x, frame_height / 2 - z)``, i.e. seen from above, so a
person reviewing the set can spot poses whose depth MediaPipe got wrong.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..landmarks import SKELETON_EDGES

_RED = (0, 0, 255)
_GREEN = (0, 200, 0)
_WHITE = (255, 255, 255)
# Pixel coordinates far outside the image are clipped: OpenCV needs int32 points.
_COORD_LIMIT = 1 << 20


def draw_skeleton(bgr: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
    """A copy of ``bgr`` with the skeleton of pixel-scaled ``landmarks`` drawn on it.

    Parameters
    ----------
    bgr : numpy.ndarray
        uint8 ``(H, W, 3)`` image.
    landmarks : numpy.ndarray or None
        ``(33, 3)`` pixel-scaled landmarks; None draws nothing.

    Returns
    -------
    numpy.ndarray
        The annotated copy.
    """
    out = bgr.copy()
    if landmarks is None:
        return out
    height, width = bgr.shape[:2]
    thickness = max(1, round(min(height, width) / 250))
    points = _points(np.asarray(landmarks)[:, :2])
    for a, b in SKELETON_EDGES:
        cv2.line(out, points[a], points[b], _GREEN, thickness, cv2.LINE_AA)
    for point in points:
        cv2.circle(out, point, thickness + 1, _RED, -1, cv2.LINE_AA)
    return out


def draw_xz_projection(height: int, width: int, landmarks: np.ndarray | None) -> np.ndarray:
    """A white ``(height, width, 3)`` panel with the skeleton projected on x and z.

    As in the Colab: z is flipped and shifted by half the frame height, the dot radius
    is half a percent of the width and the line width equals the radius.
    """
    panel = np.full((height, width, 3), 255, dtype=np.uint8)
    if landmarks is None:
        return panel
    landmarks = np.asarray(landmarks, dtype=np.float64)
    xz = np.stack([landmarks[:, 0], height * 0.5 - landmarks[:, 2]], axis=1)
    points = _points(xz)
    radius = max(1, round(width * 0.005))
    for a, b in SKELETON_EDGES:
        cv2.line(panel, points[a], points[b], _RED, radius, cv2.LINE_AA)
        cv2.circle(panel, points[a], radius, _RED, -1, cv2.LINE_AA)
        cv2.circle(panel, points[b], radius, _RED, -1, cv2.LINE_AA)
    return panel


def annotate(bgr: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
    """The bootstrap output image: skeleton on ``bgr`` | X-Z projection (width doubles)."""
    height, width = bgr.shape[:2]
    return np.hstack([draw_skeleton(bgr, landmarks), draw_xz_projection(height, width, landmarks)])


def _points(xy: np.ndarray) -> list[tuple[int, int]]:
    clipped = np.clip(np.nan_to_num(xy), -_COORD_LIMIT, _COORD_LIMIT)
    return [tuple(point) for point in np.rint(clipped).astype(np.int64).tolist()]
