"""The pure-Python reference: SPEC 3-4 line by line, as the published Colab writes it.

This is the oracle every other back end is tested against, and the yardstick every
benchmark reports against. It is deliberately the published algorithm, loops and all:
a Python loop over the samples with small NumPy operations per sample. Do not speed it
up. Where the Colab relies on an accident of NumPy type promotion (the mirrored query is
multiplied by an int64 array and so becomes float64) it follows SPEC 1 instead and keeps
float32; ``docs/numerics.md`` gives the exact arithmetic.
"""

from __future__ import annotations

import numpy as np

from ..landmarks import EMBEDDING_PAIRS, LANDMARK_NAMES, N_DIMS, N_LANDMARKS
from ..settings import (
    DEFAULT_SETTINGS,
    Settings,
    check_torso_size_multiplier,
    validate_settings,
)

NAME = "reference"

_MIRROR_X = np.array([-1, 1, 1], dtype=np.float32)


class FullBodyPoseEmbedder:
    """Converts 3D pose landmarks into a 3D embedding (SPEC 3)."""

    def __init__(
        self, torso_size_multiplier: float = DEFAULT_SETTINGS.torso_size_multiplier
    ) -> None:
        # Multiplier to apply to the torso to get minimal body size.
        self._torso_size_multiplier = torso_size_multiplier
        self._landmark_names = list(LANDMARK_NAMES)

    def __call__(self, landmarks: np.ndarray) -> np.ndarray:
        """Normalise the pose and return its float32 ``(23, 3)`` embedding.

        Returns NaN/inf values for a degenerate pose; :func:`embed` flags those.
        """
        assert landmarks.shape[0] == len(self._landmark_names), (
            f"Unexpected number of landmarks: {landmarks.shape[0]}"
        )
        landmarks = np.copy(landmarks)
        landmarks = self._normalize_pose_landmarks(landmarks)
        embedding = self._get_pose_distance_embedding(landmarks)
        return embedding

    def _normalize_pose_landmarks(self, landmarks: np.ndarray) -> np.ndarray:
        """Normalizes landmarks translation and scale."""
        landmarks = np.copy(landmarks)

        # Normalize translation.
        pose_center = self._get_pose_center(landmarks)
        landmarks -= pose_center

        # Normalize scale.
        pose_size = self._get_pose_size(landmarks, self._torso_size_multiplier)
        with np.errstate(divide="ignore", invalid="ignore"):
            landmarks /= pose_size
        # Multiplication by 100 is not required, but makes it easier to debug.
        landmarks *= 100

        return landmarks

    def _get_pose_center(self, landmarks: np.ndarray) -> np.ndarray:
        """Calculates pose center as point between hips."""
        left_hip = landmarks[self._landmark_names.index("left_hip")]
        right_hip = landmarks[self._landmark_names.index("right_hip")]
        center = (left_hip + right_hip) * 0.5
        return center

    def _get_pose_size(self, landmarks: np.ndarray, torso_size_multiplier: float) -> float:
        """Calculates pose size.

        It is the maximum of two values:
          * Torso size multiplied by `torso_size_multiplier`
          * Maximum distance from pose center to any pose landmark
        """
        # This approach uses only 2D landmarks to compute pose size.
        landmarks = landmarks[:, :2]

        # Hips center.
        left_hip = landmarks[self._landmark_names.index("left_hip")]
        right_hip = landmarks[self._landmark_names.index("right_hip")]
        hips = (left_hip + right_hip) * 0.5

        # Shoulders center.
        left_shoulder = landmarks[self._landmark_names.index("left_shoulder")]
        right_shoulder = landmarks[self._landmark_names.index("right_shoulder")]
        shoulders = (left_shoulder + right_shoulder) * 0.5

        # Torso size as the minimum body size.
        torso_size = np.linalg.norm(shoulders - hips)

        # Max dist to pose center.
        pose_center = self._get_pose_center(landmarks)
        max_dist = np.max(np.linalg.norm(landmarks - pose_center, axis=1))

        return max(torso_size * torso_size_multiplier, max_dist)

    def _get_pose_distance_embedding(self, landmarks: np.ndarray) -> np.ndarray:
        """Converts pose landmarks into 3D embedding.

        We use several pairwise 3D distances to form pose embedding. All distances
        include X and Y components with sign. We use different types of pairs to cover
        different pose classes. Feel free to remove some or add new.
        """
        embedding = [
            # One joint.
            self._get_distance(
                self._get_average_by_names(landmarks, "left_hip", "right_hip"),
                self._get_average_by_names(landmarks, "left_shoulder", "right_shoulder"),
            ),
        ]
        # Joint pairs of SPEC 3 step 4, rows 1..22 (one, two, four, five joints, cross body).
        for name_from, name_to in EMBEDDING_PAIRS:
            embedding.append(self._get_distance_by_names(landmarks, name_from, name_to))
        return np.array(embedding)

    def _get_average_by_names(self, landmarks: np.ndarray, name_from: str, name_to: str):
        lmk_from = landmarks[self._landmark_names.index(name_from)]
        lmk_to = landmarks[self._landmark_names.index(name_to)]
        return (lmk_from + lmk_to) * 0.5

    def _get_distance_by_names(self, landmarks: np.ndarray, name_from: str, name_to: str):
        lmk_from = landmarks[self._landmark_names.index(name_from)]
        lmk_to = landmarks[self._landmark_names.index(name_to)]
        return self._get_distance(lmk_from, lmk_to)

    def _get_distance(self, lmk_from: np.ndarray, lmk_to: np.ndarray) -> np.ndarray:
        return lmk_to - lmk_from


def _is_valid(landmarks: np.ndarray, embedding: np.ndarray) -> bool:
    return bool(np.isfinite(landmarks).all() and np.isfinite(embedding).all())


def _embed_one(embedder: FullBodyPoseEmbedder, landmarks: np.ndarray) -> np.ndarray | None:
    """The embedding, or ``None`` for a pose that cannot be embedded (SPEC 3)."""
    if not np.isfinite(landmarks).all():
        return None
    with np.errstate(all="ignore"):
        embedding = embedder(landmarks)
    return embedding if _is_valid(landmarks, embedding) else None


def embed(
    landmarks: np.ndarray, torso_size_multiplier: float = DEFAULT_SETTINGS.torso_size_multiplier
):
    """Embed a batch of poses, one at a time (back-end contract: see ``backends``).

    Parameters
    ----------
    landmarks : numpy.ndarray
        float32 ``(N, 33, 3)``.
    torso_size_multiplier : float

    Returns
    -------
    embeddings : numpy.ndarray
        float32 ``(N, 23, 3)``; zero rows where the pose is invalid.
    valid : numpy.ndarray
        bool ``(N,)``.
    """
    check_torso_size_multiplier(torso_size_multiplier)
    landmarks = np.asarray(landmarks, dtype=np.float32)
    embedder = FullBodyPoseEmbedder(torso_size_multiplier)
    out = np.zeros((len(landmarks), len(EMBEDDING_PAIRS) + 1, N_DIMS), dtype=np.float32)
    valid = np.zeros(len(landmarks), dtype=bool)
    for i, pose in enumerate(landmarks):
        embedding = _embed_one(embedder, pose)
        if embedding is not None:
            out[i] = embedding
            valid[i] = True
    return out, valid


class Engine:
    """The two-stage k-NN of SPEC 4, as the Colab's ``PoseClassifier.__call__`` does it."""

    def __init__(self, sample_landmarks, class_ids, n_classes, settings: Settings) -> None:
        params = validate_settings(settings, counting=False)
        self._embedder = FullBodyPoseEmbedder(params.torso_size_multiplier)
        self._n_classes = int(n_classes)
        self._class_ids = np.asarray(class_ids, dtype=np.int32)
        self._top_n_by_max_distance = params.top_n_by_max_distance
        self._top_n_by_mean_distance = params.top_n_by_mean_distance
        self._axes_weights = params.axes_weights
        embeddings, valid = embed(sample_landmarks, params.torso_size_multiplier)
        if not valid.all():
            raise ValueError(f"sample {int(np.argmin(valid))} cannot be embedded")
        self._sample_embeddings = list(embeddings)
        self._k = min(self._top_n_by_mean_distance, self._top_n_by_max_distance, len(embeddings))

    def neighbours(self, frames: np.ndarray):
        """Kept sample indices per frame, ``(F, k)`` int64, ``-1`` rows for no pose."""
        frames = np.asarray(frames, dtype=np.float32)
        out = np.full((len(frames), self._k), -1, dtype=np.int64)
        valid = np.zeros(len(frames), dtype=bool)
        for f, pose_landmarks in enumerate(frames):
            kept = self._classify_one(pose_landmarks)
            if kept is not None:
                out[f] = kept
                valid[f] = True
        return out, valid

    def counts(self, frames: np.ndarray):
        """Neighbour counts per class, ``(F, n_classes)`` int32, zero rows for no pose."""
        neighbours, valid = self.neighbours(frames)
        counts = np.zeros((len(neighbours), self._n_classes), dtype=np.int32)
        for f in range(len(neighbours)):
            if valid[f]:
                for sample_idx in neighbours[f]:
                    counts[f, self._class_ids[sample_idx]] += 1
        return counts, valid

    def _classify_one(self, pose_landmarks: np.ndarray) -> list[int] | None:
        assert pose_landmarks.shape == (N_LANDMARKS, N_DIMS), (
            f"Unexpected shape: {pose_landmarks.shape}"
        )

        # Get given pose embedding.
        pose_embedding = _embed_one(self._embedder, pose_landmarks)
        flipped_pose_embedding = _embed_one(self._embedder, pose_landmarks * _MIRROR_X)
        if pose_embedding is None or flipped_pose_embedding is None:
            return None

        # Filter by max distance.
        #
        # That helps to remove outliers - poses that are almost the same as the
        # given one, but has one joint bent into another direction and actually
        # represent a different pose class.
        max_dist_heap = []
        for sample_idx, sample_embedding in enumerate(self._sample_embeddings):
            max_dist = min(
                np.max(np.abs(sample_embedding - pose_embedding) * self._axes_weights),
                np.max(np.abs(sample_embedding - flipped_pose_embedding) * self._axes_weights),
            )
            max_dist_heap.append([max_dist, sample_idx])

        # SPEC 4 ties: sort the [distance, index] pairs themselves, not by distance alone.
        max_dist_heap = sorted(max_dist_heap)
        max_dist_heap = max_dist_heap[: self._top_n_by_max_distance]

        # Filter by mean distance.
        #
        # After removing outliers we can find the nearest pose by mean distance.
        mean_dist_heap = []
        for _, sample_idx in max_dist_heap:
            sample_embedding = self._sample_embeddings[sample_idx]
            mean_dist = min(
                np.mean(np.abs(sample_embedding - pose_embedding) * self._axes_weights),
                np.mean(np.abs(sample_embedding - flipped_pose_embedding) * self._axes_weights),
            )
            mean_dist_heap.append([mean_dist, sample_idx])

        mean_dist_heap = sorted(mean_dist_heap)
        mean_dist_heap = mean_dist_heap[: self._top_n_by_mean_distance]

        return [sample_idx for _, sample_idx in mean_dist_heap]
