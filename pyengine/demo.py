"""``pyengine demo``: a synthesised workout counted by the whole engine, no input needed.

The workout comes from :mod:`pyengine.synthetic`; it runs through the counting stage, and
optionally through the threaded video pipeline onto a blank canvas, so the annotated
video shows what a real run would draw.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from .classifier import PoseClassifier
from .counting import CountingStage
from .synthetic import SyntheticWorkout, WorkoutPlan, synthesise_workout
from .video.landmark_file import ReplayPoses
from .video.pipeline import PipelineResult, run_landmarks, run_video
from .video.readers import Frame, VideoInfo
from .video.render import Renderer
from .video.writer import AnnotatedVideoFile


class BlankCanvas:
    """A frame source of blank canvases, one per frame of a synthetic workout.

    It quacks like a video reader (``.info``, iteration of ``Frame``), so the demo can
    render through the same threaded pipeline as a real video.
    """

    BACKGROUND = (32, 32, 32)

    def __init__(self, info: VideoInfo) -> None:
        self.info = info

    def __iter__(self) -> Iterator[Frame]:
        for index in range(self.info.n_frames or 0):
            image = np.empty((self.info.height, self.info.width, 3), dtype=np.uint8)
            image[:] = self.BACKGROUND
            yield Frame(index, index / self.info.fps, image)


def run_demo(
    classifier: PoseClassifier,
    plan: WorkoutPlan,
    *,
    out: str | os.PathLike[str] | None = None,
) -> tuple[SyntheticWorkout, PipelineResult, CountingStage]:
    """Synthesise a workout and count it with ``classifier``.

    Parameters
    ----------
    classifier : PoseClassifier
        Must know every class of ``plan`` (the bundled samples do); its settings also
        give the smoothing and counting settings.
    plan : WorkoutPlan
        The workout to synthesise.
    out : str or os.PathLike, optional
        Also render the skeleton on a blank canvas into this video (``.mp4`` or
        ``.avi``), through the threaded video pipeline.

    Returns
    -------
    workout : SyntheticWorkout
    result : PipelineResult
    counting : CountingStage
    """
    workout = synthesise_workout(classifier.samples, plan)
    counting = CountingStage(classifier, list(plan.reps))
    if out is None:
        return workout, run_landmarks(workout.track, counting), counting
    track = workout.track
    info = track.info
    renderer = Renderer(
        info.width,
        info.height,
        counting.target_classes,
        top_n=classifier.settings.top_n_by_mean_distance,
        thresholds=(counting.settings.enter_threshold, counting.settings.exit_threshold),
    )
    poses = ReplayPoses(track.landmarks, track.valid, name=track.model)
    with AnnotatedVideoFile(out, info.fps, info.width, info.height) as sink:
        result = run_video(BlankCanvas(info), poses, counting, renderer=renderer, sink=sink)
    return workout, result, counting
