"""The per-frame loop of SPEC 7: pose -> counting stage -> render -> write.

Two entry points drive a counting stage (:class:`pyengine.counting.CountingStage`):

- :func:`run_video` runs a pose model on every frame of a reader. Decoding runs in a
  reader thread and rendering/writing in a writer thread (:mod:`.threads`), joined to the
  main thread by bounded queues; the main thread feeds the pose model strictly in frame
  order (MediaPipe tracking mode is stateful), so the pose model bounds the throughput.
- :func:`run_landmarks` runs the same stage on a saved
  :class:`~pyengine.video.landmark_file.LandmarkTrack`, to re-classify landmarks with
  other samples or settings without the pose model.

Both return a :class:`PipelineResult`: counts, every repetition's start and end, the
frames without a pose, per-stage latency and the effective frame rate. Interrupted
(Ctrl-C, or SIGTERM turned into :class:`~pyengine.errors.Terminated`), both raise
:class:`RunInterrupted`, which carries the result of the frames processed so far.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..counting import CountingStage, FrameResult, Repetition
from ..landmarks import N_DIMS, N_LANDMARKS
from ..timing import LatencySummary, StageClock
from .landmark_file import LandmarkTrack, SourceIdentity, checked_landmark_rows, valid_rows
from .readers import VideoInfo
from .threads import (
    END,
    Failure,
    FrameRenderer,
    FrameSink,
    WriterThread,
    next_decoded,
    start_reader,
)

#: Frames that may wait between two threads; small, so memory stays bounded at 720p.
DEFAULT_QUEUE_SIZE = 8


@dataclass
class PipelineResult:
    """Everything one run measured.

    Attributes
    ----------
    info : VideoInfo
        The input (``n_frames`` as the container announced it, None if unknown).
    n_frames : int
        Frames actually processed.
    counts : dict of str to int
        Repetitions per target class.
    repetitions : dict of str to list of Repetition
        Every counted repetition per target class, in order.
    no_pose_frames : list of int
        Indices of the frames without a (classifiable) pose.
    latency : dict of str to LatencySummary
        Per-stage latency, for the stages that ran.
    wall_time_s : float
        Time of the whole run, first frame read to last frame written.
    pose_model : str or None
        Name of the pose model, or None when saved landmarks were classified.
    backend : str
        Classifier back end that ran.
    warnings : list of str
        Things the user should know about the result (e.g. no person in the clip).
    landmarks, valid, times : numpy.ndarray or None
        The per-frame landmarks ``(F, 33, 3)`` (NaN rows for no pose), validity and
        times, when the run was asked to record them.
    interrupted : bool
        The run was stopped (Ctrl-C, SIGTERM) before the end of its input; everything
        above describes the frames processed until then.
    """

    info: VideoInfo
    n_frames: int
    counts: dict[str, int]
    repetitions: dict[str, list[Repetition]]
    no_pose_frames: list[int]
    latency: dict[str, LatencySummary]
    wall_time_s: float
    pose_model: str | None
    backend: str
    warnings: list[str] = field(default_factory=list)
    landmarks: np.ndarray | None = None
    valid: np.ndarray | None = None
    times: np.ndarray | None = None
    interrupted: bool = False

    @property
    def effective_fps(self) -> float:
        """Frames processed per second of wall time over the whole run."""
        return self.n_frames / self.wall_time_s if self.wall_time_s > 0 else 0.0

    def no_pose_ranges(self) -> list[tuple[int, int]]:
        """The frames without a pose as inclusive ``(first, last)`` runs."""
        return frame_ranges(self.no_pose_frames)

    def to_track(self, identity: SourceIdentity | None = None) -> LandmarkTrack:
        """The recorded landmarks as a :class:`~pyengine.video.landmark_file.LandmarkTrack`.

        ``identity`` is the source file's (:func:`~pyengine.video.landmark_file.source_identity`),
        recorded in a landmark file saved from the track.

        Raises
        ------
        ValueError
            The run was not asked to record landmarks.
        """
        if self.landmarks is None or self.valid is None or self.times is None:
            raise ValueError("landmarks were not recorded: pass record_landmarks=True")
        return LandmarkTrack(
            landmarks=self.landmarks,
            valid=self.valid,
            times=self.times,
            info=self.info,
            model=self.pose_model or "",
            identity=identity,
        )


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM, with the result of the part processed.

    Attributes
    ----------
    result : PipelineResult
        Counts, repetitions, latency (and landmarks, if recorded) of the frames processed
        before the interruption; ``result.interrupted`` is True.
    cause : KeyboardInterrupt
        The interruption itself (a :class:`~pyengine.errors.Terminated` for SIGTERM).
    """

    def __init__(self, result: PipelineResult, cause: KeyboardInterrupt) -> None:
        super().__init__(f"interrupted after {result.n_frames} frames")
        self.result = result
        self.cause = cause


def frame_ranges(frames: Iterable[int]) -> list[tuple[int, int]]:
    """Collapse sorted frame indices into inclusive ``(first, last)`` runs."""
    ranges: list[list[int]] = []
    for index in frames:
        if ranges and index == ranges[-1][1] + 1:
            ranges[-1][1] = index
        else:
            ranges.append([index, index])
    return [(a, b) for a, b in ranges]


def run_video(
    reader,
    pose: Callable[[np.ndarray, float], np.ndarray | None],
    counting: CountingStage,
    *,
    renderer: FrameRenderer | None = None,
    sink: FrameSink | None = None,
    on_frame: Callable[[FrameResult], None] | None = None,
    record_landmarks: bool = False,
    max_frames: int | None = None,
    queue_size: int = DEFAULT_QUEUE_SIZE,
) -> PipelineResult:
    """Count repetitions in every frame of ``reader``.

    Parameters
    ----------
    reader : VideoReader or CameraReader
        An open reader: ``.info`` and iteration of ``Frame(index, time_s, image)``.
        It is iterated in a reader thread; close it only after this returns.
    pose : callable
        ``pose(bgr, time_s) -> (33, 3) landmarks or None``: a pose estimator from
        :func:`pyengine.pose.open_estimator`, or
        :class:`~pyengine.video.landmark_file.ReplayPoses`. Called from this thread
        only, in frame order.
    counting : CountingStage
        Classifier, smoothing and counters (fresh: it keeps state across frames).
    renderer : Renderer, optional
        ``renderer.draw(image, landmarks, counts, raw, smoothed) -> image``, run in the
        writer thread.
    sink : object with ``write(image)``, optional
        Where annotated frames go (e.g. :class:`~pyengine.video.writer.AnnotatedVideoFile`),
        in the writer thread.
    on_frame : callable, optional
        Called in this thread with each :class:`~pyengine.counting.FrameResult`
        (progress bars, live events).
    record_landmarks : bool
        Keep every frame's landmarks in the result (see :meth:`PipelineResult.to_track`).
    max_frames : int, optional
        Stop after this many frames (a camera never ends by itself).
    queue_size : int
        Frames that may wait in each queue between threads.

    Returns
    -------
    PipelineResult

    Raises
    ------
    RunInterrupted
        Ctrl-C or SIGTERM: it carries the result of the frames processed so far (the
        sink is left unfinished; a video file deletes its temporary file).
    VideoError
        The reader failed (missing, corrupt or truncated input), re-raised from its thread.
    Exception
        Whatever the pose model, renderer or sink raised. No thread is left running.
    """
    info = reader.info
    clock = StageClock()
    stop = threading.Event()
    decoded: queue.Queue = queue.Queue(maxsize=queue_size)
    writer = None
    if renderer is not None or sink is not None:
        writer = WriterThread(renderer, sink, clock, stop, queue_size)
    recorded: list[tuple[float, np.ndarray | None]] = []
    n_frames = 0
    start = time.perf_counter_ns()
    reader_thread = start_reader(reader, decoded, stop, max_frames)
    if writer is not None:
        writer.start()
    interruption: KeyboardInterrupt | None = None
    try:
        while True:
            item = next_decoded(decoded, reader_thread, writer)
            if item is END:
                break
            if isinstance(item, Failure):
                raise item.exc
            frame, decode_ns = item
            clock.add("decode", decode_ns)
            t0 = time.perf_counter_ns()
            landmarks = pose(frame.image, frame.time_s)
            clock.add("pose", time.perf_counter_ns() - t0)
            result = counting(frame.index, frame.time_s, landmarks, clock)
            n_frames += 1
            if record_landmarks:
                recorded.append((frame.time_s, result.landmarks))
            if writer is not None:
                writer.hand_over(frame.image, result)
            if on_frame is not None:
                on_frame(result)
        if writer is not None:
            writer.finish()
    except KeyboardInterrupt as exc:
        interruption = exc
    finally:
        stop.set()
        reader_thread.join()
        if writer is not None:
            writer.join()
    wall_s = (time.perf_counter_ns() - start) / 1e9
    run = _result(info, n_frames, counting, clock, wall_s, _model_name(pose))
    if record_landmarks:
        _attach_landmarks(run, recorded)
    if interruption is not None:
        run.interrupted = True
        raise RunInterrupted(run, interruption) from interruption
    return run


def run_landmarks(
    track: LandmarkTrack,
    counting: CountingStage,
    *,
    on_frame: Callable[[FrameResult], None] | None = None,
) -> PipelineResult:
    """Classify, smooth and count saved landmarks, with no pose model.

    Parameters
    ----------
    track : LandmarkTrack
        From :func:`pyengine.video.landmark_file.load_landmarks` (or a recorded run).
    counting : CountingStage
        Classifier, smoothing and counters (fresh).
    on_frame : callable, optional
        Called with each :class:`~pyengine.counting.FrameResult`.

    Returns
    -------
    PipelineResult
        Its ``pose_model`` is None; its latency has the classify and smooth_count stages.

    Raises
    ------
    RunInterrupted
        Ctrl-C or SIGTERM, with the result of the frames processed so far.
    """
    landmarks = checked_landmark_rows(track.landmarks)
    valid = np.asarray(track.valid, dtype=bool)
    times = np.asarray(track.times, dtype=np.float64)
    if not (len(valid) == len(times) == len(landmarks)):
        raise ValueError(
            f"track arrays disagree: {len(landmarks)} landmark frames, {len(valid)} valid flags, "
            f"{len(times)} times"
        )
    clock = StageClock()
    start = time.perf_counter_ns()
    n_frames = 0
    try:
        for i in range(len(landmarks)):
            result = counting(i, float(times[i]), landmarks[i] if valid[i] else None, clock)
            n_frames += 1
            if on_frame is not None:
                on_frame(result)
    except KeyboardInterrupt as exc:
        wall_s = (time.perf_counter_ns() - start) / 1e9
        run = _result(track.info, n_frames, counting, clock, wall_s, None)
        run.interrupted = True
        raise RunInterrupted(run, exc) from exc
    wall_s = (time.perf_counter_ns() - start) / 1e9
    return _result(track.info, n_frames, counting, clock, wall_s, None)


def stage_result(
    info: VideoInfo,
    n_frames: int,
    counting: CountingStage,
    clock: StageClock,
    wall_s: float,
    model: str | None,
) -> PipelineResult:
    """The :class:`PipelineResult` of a counting stage driven frame by frame elsewhere.

    For loops that feed ``counting`` themselves (the live window, the web app's live
    socket), so their sessions are reported like a file's.
    """
    return _result(info, n_frames, counting, clock, wall_s, model)


def _result(
    info: VideoInfo,
    n_frames: int,
    counting: CountingStage,
    clock: StageClock,
    wall_s: float,
    model: str | None,
) -> PipelineResult:
    return PipelineResult(
        info=info,
        n_frames=n_frames,
        counts=counting.counts,
        repetitions={k: list(v) for k, v in counting.repetitions.items()},
        no_pose_frames=list(counting.no_pose_frames),
        latency=clock.summary(),
        wall_time_s=wall_s,
        pose_model=model,
        backend=counting.classifier.backend,
        warnings=counting.warnings(n_frames, info.source),
    )


def _attach_landmarks(
    result: PipelineResult, recorded: list[tuple[float, np.ndarray | None]]
) -> None:
    stacked = np.full((len(recorded), N_LANDMARKS, N_DIMS), np.nan, dtype=np.float32)
    for i, (_, lm) in enumerate(recorded):
        if lm is not None:
            stacked[i] = lm
    # A pose with a NaN/inf coordinate is stored as no pose, as landmark files require.
    result.valid = valid_rows(stacked)
    stacked[~result.valid] = np.nan
    result.landmarks = stacked
    result.times = np.array([t for t, _ in recorded], dtype=np.float64)


def _model_name(pose) -> str:
    return str(getattr(pose, "name", type(pose).__name__))
