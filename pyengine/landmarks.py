"""BlazePose landmark topology (SPEC 1) and the pixel scaling the classifier expects."""

from __future__ import annotations

import numpy as np

#: The 33 BlazePose landmarks, in MediaPipe order.
LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_pinky", "right_pinky",
    "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee",
    "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip

N_LANDMARKS = 33
N_DIMS = 3
N_COORDS = N_LANDMARKS * N_DIMS
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

LEFT_SHOULDER, RIGHT_SHOULDER = INDEX["left_shoulder"], INDEX["right_shoulder"]
LEFT_HIP, RIGHT_HIP = INDEX["left_hip"], INDEX["right_hip"]

#: SPEC 3 step 4: the 22 ``(from, to)`` landmark pairs of embedding rows 1..22.
#: Row 0 is shoulder midpoint minus hip midpoint. Hip->wrist appears twice, as published.
EMBEDDING_PAIRS: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"),
    ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("right_hip", "right_knee"),
    ("left_knee", "left_ankle"), ("right_knee", "right_ankle"),
    ("left_shoulder", "left_wrist"), ("right_shoulder", "right_wrist"),
    ("left_hip", "left_ankle"), ("right_hip", "right_ankle"),
    ("left_hip", "left_wrist"), ("right_hip", "right_wrist"),
    ("left_shoulder", "left_ankle"), ("right_shoulder", "right_ankle"),
    ("left_hip", "left_wrist"), ("right_hip", "right_wrist"),
    ("left_elbow", "right_elbow"), ("left_knee", "right_knee"),
    ("left_wrist", "right_wrist"), ("left_ankle", "right_ankle"),
)  # fmt: skip

EMBEDDING_SIZE = 1 + len(EMBEDDING_PAIRS)  # 23

#: The same pairs as an int array ``(22, 2)`` for the kernels.
EMBEDDING_PAIR_INDEX = np.array([(INDEX[a], INDEX[b]) for a, b in EMBEDDING_PAIRS], dtype=np.int64)

#: Skeleton edges for drawing (MediaPipe's POSE_CONNECTIONS).
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
    (11, 12), (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19),
    (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20),
    (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)  # fmt: skip


def coordinate_name(column: int) -> str:
    """Name the 0-based coordinate column ``column`` of a flattened pose, e.g. ``left_hip.y``."""
    return f"{LANDMARK_NAMES[column // N_DIMS]}.{'xyz'[column % N_DIMS]}"


def pixel_scale(normalized: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale MediaPipe's normalised landmarks to pixels as SPEC 1 says.

    Parameters
    ----------
    normalized : numpy.ndarray
        ``(33, 3)`` or ``(F, 33, 3)`` landmarks with x, y in [0, 1] and z on the scale of x.
    width, height : int
        Frame size in pixels.

    Returns
    -------
    numpy.ndarray
        float32 landmarks ``(x * width, y * height, z * width)``.
    """
    scale = np.array([width, height, width], dtype=np.float32)
    return np.asarray(normalized, dtype=np.float32) * scale
