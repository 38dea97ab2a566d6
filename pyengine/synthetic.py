"""Synthetic workouts: landmark sequences with a known number of repetitions.

A real ``*_up`` and a real ``*_down`` sample of each exercise are interpolated
up -> down -> up for a known number of repetitions, with Gaussian noise and a few frames
without a pose. ``pyengine demo`` counts such a workout with the whole engine and
compares with the truth; tests use it as data with a known answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .landmarks import INDEX, LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER
from .samples import SampleSet
from .video.landmark_file import LandmarkTrack
from .video.readers import VideoInfo

DEMO_SOURCE = "<synthetic workout>"

_ANKLES = (INDEX["left_ankle"], INDEX["right_ankle"])


@dataclass(frozen=True)
class WorkoutPlan:
    """What to synthesise.

    Attributes
    ----------
    reps : mapping of str to int
        Repetitions per down class, performed in this order (e.g.
        ``{"squats_down": 4, "pushups_down": 3}``); each down class needs a matching
        ``*_up`` class in the samples.
    fps : float
        Frame rate of the synthetic video.
    width, height : int
        Canvas size in pixels.
    noise : float
        Standard deviation of the Gaussian landmark noise, in torso lengths.
    dropout : float
        Probability that a frame loses its pose (on top of the gaps between exercises).
    seed : int
        Seed of every random choice: same seed, same workout.
    """

    reps: Mapping[str, int]
    fps: float = 30.0
    width: int = 640
    height: int = 480
    noise: float = 0.02
    dropout: float = 0.02
    seed: int = 0


@dataclass(frozen=True)
class SyntheticWorkout:
    """A synthesised workout and its truth.

    Attributes
    ----------
    track : LandmarkTrack
        Pixel landmarks per frame (NaN rows for no pose), times and a ``VideoInfo``.
    truth : dict of str to list of int
        Per down class, the frame at the bottom of every synthesised repetition.
    keyframe_samples : dict of str to tuple of str
        Per down class, the names of the (up, down) samples interpolated.
    """

    track: LandmarkTrack
    truth: dict[str, list[int]]
    keyframe_samples: dict[str, tuple[str, str]]

    @property
    def truth_counts(self) -> dict[str, int]:
        """Synthesised repetitions per down class."""
        return {name: len(frames) for name, frames in self.truth.items()}


def synthesise_workout(samples: SampleSet, plan: WorkoutPlan) -> SyntheticWorkout:
    """Interpolate real up/down sample poses into a noisy workout with known repetitions.

    Parameters
    ----------
    samples : SampleSet
        Must hold ``X_up`` and ``X_down`` for every ``X_down`` in ``plan.reps``.
    plan : WorkoutPlan
        Repetitions, frame rate, canvas, noise and seed.

    Returns
    -------
    SyntheticWorkout

    Raises
    ------
    UnknownClassError
        A class of the plan is not in the samples.
    ValueError
        A negative repetition count, or a down class whose name does not end in ``_down``.
    """
    _check_plan(plan)
    rng = np.random.default_rng(plan.seed)
    poses: list[np.ndarray] = [_no_pose_frames(_gap_length(rng, plan.fps))]
    truth: dict[str, list[int]] = {}
    keyframes: dict[str, tuple[str, str]] = {}
    n_frames = len(poses[0])
    for down_class, n_reps in plan.reps.items():
        up_class = down_class[: -len("_down")] + "_up"
        samples.require_class(up_class)
        samples.require_class(down_class)
        up_i, down_i = pick_keyframes(samples, up_class, down_class)
        keyframes[down_class] = (samples.names[up_i], samples.names[down_i])
        up, down = _place_on_canvas(samples.landmarks[up_i], samples.landmarks[down_i], plan)
        sequence, bottoms = _repetitions(up, down, n_reps, plan.fps, rng)
        truth[down_class] = [n_frames + b for b in bottoms]
        poses += [sequence, _no_pose_frames(_gap_length(rng, plan.fps))]
        n_frames += len(sequence) + len(poses[-1])
    landmarks = np.concatenate(poses).astype(np.float32)
    landmarks = _add_noise(landmarks, plan, rng)
    _drop_frames(
        landmarks, plan.dropout, rng, keep=[f for frames in truth.values() for f in frames]
    )
    valid = np.isfinite(landmarks).all(axis=(1, 2))
    info = VideoInfo(DEMO_SOURCE, float(plan.fps), plan.width, plan.height, len(landmarks))
    track = LandmarkTrack(
        landmarks=landmarks,
        valid=valid,
        times=np.arange(len(landmarks), dtype=np.float64) / plan.fps,
        info=info,
        model=f"synthetic (seed {plan.seed})",
    )
    return SyntheticWorkout(track, truth, keyframes)


def _check_plan(plan: WorkoutPlan) -> None:
    if not plan.reps:
        raise ValueError("the workout plan has no exercise")
    for name, n in plan.reps.items():
        if not name.endswith("_down"):
            raise ValueError(f"{name!r}: a counted class must end in '_down'")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{name}: repetitions must be an integer >= 0, got {n!r}")
    if not (plan.fps > 0 and plan.width >= 64 and plan.height >= 64):
        raise ValueError("fps must be > 0 and the canvas at least 64x64")
    if not (0 <= plan.noise < 1 and 0 <= plan.dropout < 0.5):
        raise ValueError("noise must be in [0, 1) torso lengths and dropout in [0, 0.5)")


# ---------------------------------------------------------------- key poses


def pick_keyframes(samples: SampleSet, up_class: str, down_class: str) -> tuple[int, int]:
    """Indices of a typical ``down`` sample and the ``up`` sample nearest to it.

    The down pose is the medoid of its class (the sample with the smallest total
    distance to the others, after normalising position, size and facing direction);
    the up pose is the nearest up sample, which is in practice a frame of the same
    video, so the interpolation between them moves like one person.
    """
    normalised = _normalised(samples.landmarks)
    ids = np.asarray(samples.labels)
    down = np.flatnonzero(ids == down_class)
    up = np.flatnonzero(ids == up_class)
    flat_down = normalised[down].reshape(len(down), -1)
    pairwise = np.abs(flat_down[:, None, :] - flat_down[None, :, :]).mean(axis=2)
    down_i = int(down[np.argmin(pairwise.sum(axis=1))])
    to_up = np.abs(normalised[up] - normalised[down_i]).reshape(len(up), -1).mean(axis=1)
    return int(up[np.argmin(to_up)]), down_i


def _torso_length(pose: np.ndarray) -> float:
    hips = (pose[LEFT_HIP, :2] + pose[RIGHT_HIP, :2]) / 2
    shoulders = (pose[LEFT_SHOULDER, :2] + pose[RIGHT_SHOULDER, :2]) / 2
    return float(np.linalg.norm(shoulders - hips))


def _normalised(landmarks: np.ndarray) -> np.ndarray:
    """Poses centred on the hips, in torso lengths, mirrored to face +x."""
    out = np.empty_like(landmarks, dtype=np.float64)
    for i, pose in enumerate(landmarks.astype(np.float64)):
        hips = (pose[LEFT_HIP] + pose[RIGHT_HIP]) / 2
        centred = (pose - hips) / max(_torso_length(pose), 1e-9)
        if centred[INDEX["nose"], 0] < 0:
            centred[:, 0] = -centred[:, 0]
        out[i] = centred
    return out


def _place_on_canvas(
    up: np.ndarray, down: np.ndarray, plan: WorkoutPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Both poses at one scale, feet at the same place, the pair fitted inside the canvas."""
    placed = []
    for pose in (up.astype(np.float64), down.astype(np.float64)):
        feet = pose[list(_ANKLES)].mean(axis=0)
        placed.append((pose - feet) / max(_torso_length(pose), 1e-9))
    both = np.concatenate(placed)[:, :2]
    low, high = both.min(axis=0), both.max(axis=0)
    margin = 0.1
    scale = min(
        plan.width * (1 - 2 * margin) / max(high[0] - low[0], 1e-9),
        plan.height * (1 - 2 * margin) / max(high[1] - low[1], 1e-9),
    )
    offset = np.array([plan.width, plan.height]) / 2 - scale * (low + high) / 2
    result = []
    for pose in placed:
        pixels = pose * scale
        pixels[:, :2] += offset
        result.append(pixels)
    return result[0], result[1]


# ---------------------------------------------------------------- motion


def _repetitions(
    up: np.ndarray, down: np.ndarray, n_reps: int, fps: float, rng: np.random.Generator
) -> tuple[np.ndarray, list[int]]:
    """``n_reps`` cycles up -> down -> up with eased motion and jittered timing.

    Returns the frames and, per repetition, the frame index at the bottom.
    """
    phases: list[np.ndarray] = []
    bottoms: list[int] = []
    n = 0

    def seconds(mean: float) -> int:
        return max(2, round(fps * mean * rng.uniform(0.8, 1.2)))

    for _ in range(n_reps):
        hold_up, descend, hold_down, ascend = seconds(0.5), seconds(0.7), seconds(0.3), seconds(0.7)
        phases.append(_blend(up, down, np.zeros(hold_up)))
        phases.append(_blend(up, down, _ease(np.arange(1, descend + 1) / descend)))
        phases.append(_blend(up, down, np.ones(hold_down)))
        bottoms.append(n + hold_up + descend + hold_down // 2)
        phases.append(_blend(up, down, 1 - _ease(np.arange(1, ascend + 1) / ascend)))
        n += hold_up + descend + hold_down + ascend
    phases.append(_blend(up, down, np.zeros(seconds(0.5))))
    return np.concatenate(phases), bottoms


def _ease(t: np.ndarray) -> np.ndarray:
    """Cosine ease-in-out from 0 to 1: the motion slows down at both ends, like a body."""
    return (1 - np.cos(math.pi * t)) / 2


def _blend(up: np.ndarray, down: np.ndarray, depth: np.ndarray) -> np.ndarray:
    return up[None] + (down - up)[None] * depth[:, None, None]


def _no_pose_frames(n: int) -> np.ndarray:
    return np.full((n, 33, 3), np.nan)


def _gap_length(rng: np.random.Generator, fps: float) -> int:
    return max(1, round(fps * rng.uniform(0.3, 0.6)))


def _add_noise(landmarks: np.ndarray, plan: WorkoutPlan, rng: np.random.Generator) -> np.ndarray:
    valid = np.isfinite(landmarks).all(axis=(1, 2))
    torso = np.median([_torso_length(p) for p in landmarks[valid]]) if valid.any() else 0.0
    noise = rng.normal(0.0, plan.noise * torso, landmarks.shape)
    return (landmarks + noise).astype(np.float32)


def _drop_frames(
    landmarks: np.ndarray, rate: float, rng: np.random.Generator, keep: Sequence[int]
) -> None:
    """Blank random single frames (a tracker losing the person briefly), never ``keep``."""
    drop = rng.random(len(landmarks)) < rate
    drop[list(keep)] = False
    landmarks[drop] = np.nan


def truth_table(workout: SyntheticWorkout, counts: Mapping[str, int], fps: float) -> str:
    """Synthesised next to counted repetitions, one row per class."""
    width = max(len("class"), *(len(c) for c in workout.truth))
    lines = [f"{'class':<{width}}  synthesised  counted  bottoms of the synthesised reps (s)"]
    for name, bottoms in workout.truth.items():
        mark = "ok" if counts.get(name, 0) == len(bottoms) else "MISMATCH"
        times = ", ".join(f"{b / fps:.2f}" for b in bottoms) or "-"
        lines.append(
            f"{name:<{width}}  {len(bottoms):>11}  {counts.get(name, 0):>7}  {times}  [{mark}]"
        )
    return "\n".join(lines)
