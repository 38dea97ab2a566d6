"""The per-frame loop of SPEC 7: pose -> classify -> EMA -> counters -> render -> write.

Two entry points share one classify/smooth/count stage (:class:`CountingStage`):

- :func:`run_video` runs a pose model on every frame of a reader. Decoding runs in a
  reader thread and rendering/writing in a writer thread, joined to the main thread by
  bounded queues; the main thread feeds the pose model strictly in frame order (MediaPipe
  tracking mode is stateful), so the pose model bounds the throughput.
- :func:`run_landmarks` runs the same stage on a saved
  :class:`~pyengine.video.landmark_file.LandmarkTrack`, to re-classify landmarks with
  other samples or settings without the pose model.

Both return a :class:`PipelineResult`: counts, every repetition's start and end, the
frames without a pose, per-stage latency and the effective frame rate.
"""

from __future__ import annotations

import itertools
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._files import temporary_beside
from ..classifier import PoseClassifier
from ..counter import RepetitionCounter
from ..errors import UnknownClassError, VideoError
from ..landmarks import N_DIMS, N_LANDMARKS
from ..samples import SampleSet
from ..smoothing import EMASmoothing
from .readers import VideoInfo

#: Every stage timed by the pipeline, in frame order.
STAGES = ("decode", "pose", "classify", "smooth_count", "render", "write")

#: Frames that may wait between two threads; small, so memory stays bounded at 720p.
DEFAULT_QUEUE_SIZE = 8

_POLL_S = 0.05

#: FourCC per output extension: codecs every OpenCV build can write.
OUTPUT_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG"}


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Repetition:
    """One counted repetition of ``class_name``.

    ``start_*`` is the frame where the counter entered the pose, ``end_*`` the frame
    where it left it and counted the repetition.
    """

    class_name: str
    start_frame: int
    start_s: float
    end_frame: int
    end_s: float


@dataclass(frozen=True)
class LatencySummary:
    """Per-frame time of one stage, in milliseconds, over ``n`` frames."""

    mean_ms: float
    p50_ms: float
    p95_ms: float
    n: int


@dataclass(frozen=True)
class FrameResult:
    """What the classify/smooth/count stage made of one frame.

    ``landmarks`` is what the pose model gave (None: no person); ``raw`` is ``{}`` when
    the frame has no classifiable pose, and then the counters did not move.
    """

    index: int
    time_s: float
    landmarks: np.ndarray | None
    raw: dict[str, int]
    smoothed: dict[str, float]
    counts: dict[str, int]


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

    @property
    def effective_fps(self) -> float:
        """Frames processed per second of wall time over the whole run."""
        return self.n_frames / self.wall_time_s if self.wall_time_s > 0 else 0.0

    def no_pose_ranges(self) -> list[tuple[int, int]]:
        """The frames without a pose as inclusive ``(first, last)`` runs."""
        return frame_ranges(self.no_pose_frames)

    def to_track(self):
        """The recorded landmarks as a :class:`~pyengine.video.landmark_file.LandmarkTrack`.

        Raises
        ------
        ValueError
            The run was not asked to record landmarks.
        """
        from .landmark_file import LandmarkTrack

        if self.landmarks is None:
            raise ValueError("landmarks were not recorded: pass record_landmarks=True")
        return LandmarkTrack(
            landmarks=self.landmarks,
            valid=self.valid,
            times=self.times,
            info=self.info,
            model=self.pose_model or "",
        )


def frame_ranges(frames: Iterable[int]) -> list[tuple[int, int]]:
    """Collapse sorted frame indices into inclusive ``(first, last)`` runs."""
    ranges: list[list[int]] = []
    for index in frames:
        if ranges and index == ranges[-1][1] + 1:
            ranges[-1][1] = index
        else:
            ranges.append([index, index])
    return [(a, b) for a, b in ranges]


# ---------------------------------------------------------------- timing


class StageClock:
    """Collects per-frame durations (``perf_counter_ns``) per stage."""

    def __init__(self) -> None:
        self._samples: dict[str, list[int]] = {stage: [] for stage in STAGES}

    def add(self, stage: str, nanoseconds: int) -> None:
        """Record one frame's time for ``stage``."""
        self._samples[stage].append(nanoseconds)

    def summary(self) -> dict[str, LatencySummary]:
        """Mean, median and 95th percentile in ms for every stage that ran."""
        return {stage: summarise_ns(values) for stage, values in self._samples.items() if values}


def summarise_ns(values: Sequence[int]) -> LatencySummary:
    """Summarise durations in nanoseconds as milliseconds."""
    ms = np.asarray(values, dtype=np.float64) / 1e6
    p50, p95 = np.percentile(ms, [50, 95])
    return LatencySummary(float(ms.mean()), float(p50), float(p95), len(ms))


# ---------------------------------------------------------------- the counting stage


def target_classes(samples: SampleSet, requested: Sequence[str] | None = None) -> tuple[str, ...]:
    """The classes to count: ``requested`` (each checked), or every class ending in ``_down``.

    Raises
    ------
    UnknownClassError
        A requested class is not in the samples, or no class ends in ``_down``.
    """
    if requested:
        for name in requested:
            samples.require_class(name)
        return tuple(dict.fromkeys(requested))
    defaults = tuple(c for c in samples.class_names if c.endswith("_down"))
    if not defaults:
        raise UnknownClassError(
            f"no class ends in '_down' ({', '.join(samples.class_names)}); "
            "name the classes to count with --exercise"
        )
    return defaults


@dataclass(frozen=True)
class CountingSettings:
    """Smoothing and counting settings (SPEC 5-6)."""

    window_size: int = 10
    alpha: float = 0.2
    enter_threshold: float = 6
    exit_threshold: float = 4


class CountingStage:
    """Classify, smooth and count one frame at a time, recording every repetition.

    Parameters
    ----------
    classifier : PoseClassifier
        The k-NN classifier.
    target_classes : sequence of str
        Classes to count repetitions of (one :class:`RepetitionCounter` each).
    settings : CountingSettings
        Window, alpha and the hysteresis thresholds.

    Raises
    ------
    UnknownClassError
        A target class is not in the classifier's samples.
    ValueError
        No target class, or invalid settings.
    """

    def __init__(
        self,
        classifier: PoseClassifier,
        target_classes: Sequence[str],
        settings: CountingSettings | None = None,
    ) -> None:
        if not target_classes:
            raise ValueError("at least one target class is needed")
        for name in target_classes:
            classifier.samples.require_class(name)
        self.classifier = classifier
        self.settings = settings or CountingSettings()
        self.target_classes = tuple(dict.fromkeys(target_classes))
        self.smoothing = EMASmoothing(self.settings.window_size, self.settings.alpha)
        self.counters = {
            name: RepetitionCounter(
                name, self.settings.enter_threshold, self.settings.exit_threshold
            )
            for name in self.target_classes
        }
        self.repetitions: dict[str, list[Repetition]] = {n: [] for n in self.target_classes}
        self.no_pose_frames: list[int] = []
        self._entered_at: dict[str, tuple[int, float]] = {}

    def __call__(
        self,
        index: int,
        time_s: float,
        landmarks: np.ndarray | None,
        clock: StageClock | None = None,
    ) -> FrameResult:
        """Process one frame (``landmarks=None`` when the pose model found no one)."""
        t0 = time.perf_counter_ns()
        raw = self.classifier.classify_frame(landmarks)
        t1 = time.perf_counter_ns()
        # {} also covers a pose that cannot be embedded: "no pose" for a live frame (SPEC 3).
        smoothed = self.smoothing(raw)
        counts = {
            name: self._count(name, index, time_s, smoothed if raw else None)
            for name in self.counters
        }
        t2 = time.perf_counter_ns()
        if clock is not None:
            clock.add("classify", t1 - t0)
            clock.add("smooth_count", t2 - t1)
        if not raw:
            self.no_pose_frames.append(index)
        return FrameResult(index, time_s, landmarks, raw, smoothed, counts)

    def _count(
        self, name: str, index: int, time_s: float, smoothed: Mapping[str, float] | None
    ) -> int:
        counter = self.counters[name]
        was_entered, before = counter.pose_entered, counter.n_repeats
        after = counter(smoothed)
        if counter.pose_entered and not was_entered:
            self._entered_at[name] = (index, time_s)
        if after > before:
            start_frame, start_s = self._entered_at.pop(name)
            self.repetitions[name].append(Repetition(name, start_frame, start_s, index, time_s))
        return after

    def reset(self) -> None:
        """Zero every count and forget the smoothing window and the recorded repetitions."""
        self.smoothing.reset()
        for counter in self.counters.values():
            counter.reset()
        self.repetitions = {name: [] for name in self.target_classes}
        self.no_pose_frames = []
        self._entered_at = {}

    @property
    def counts(self) -> dict[str, int]:
        """Repetitions so far per target class."""
        return {name: counter.n_repeats for name, counter in self.counters.items()}

    def warnings(self, n_frames: int, source: str) -> list[str]:
        """Warnings about the run so far (no person at all, a repetition left open)."""
        found = []
        if n_frames == 0:
            found.append(f"{source}: no frames were read")
        elif len(self.no_pose_frames) == n_frames:
            found.append(
                f"{source}: no pose was found in any of the {n_frames} frames; every count is 0"
            )
        for name, (frame, time_s) in sorted(self._entered_at.items()):
            found.append(
                f"{name}: the input ended inside the pose (entered at frame {frame}, "
                f"{time_s:.2f} s); that unfinished repetition is not counted"
            )
        return found


# ---------------------------------------------------------------- saved landmarks


class ReplayPoses:
    """A pose "model" that replays saved landmarks frame by frame.

    Called like an estimator, ``poses(image, time_s)``, once per frame in order, it
    returns the saved landmarks of that frame (None where no pose was saved). Used to
    render a video with landmarks extracted earlier, and by the demo.

    Parameters
    ----------
    landmarks : numpy.ndarray
        float ``(F, 33, 3)``; NaN rows (or ``valid`` False) are frames without a pose.
    valid : numpy.ndarray, optional
        bool ``(F,)``; by default the rows without NaN.
    name : str
        What to report as the pose model.
    """

    def __init__(
        self, landmarks: np.ndarray, valid: np.ndarray | None = None, name: str = "saved landmarks"
    ) -> None:
        self.landmarks = _checked_landmarks(landmarks)
        self.valid = _valid_rows(self.landmarks) if valid is None else np.asarray(valid, dtype=bool)
        if self.valid.shape != (len(self.landmarks),):
            raise ValueError(
                f"valid must have shape ({len(self.landmarks)},), got {self.valid.shape}"
            )
        self.name = name
        self._next = 0

    def __call__(self, image: np.ndarray, time_s: float) -> np.ndarray | None:
        i = self._next
        if i >= len(self.landmarks):
            raise VideoError(
                f"the video has more frames than the saved landmarks ({len(self.landmarks)})"
            )
        self._next += 1
        return self.landmarks[i] if self.valid[i] else None

    def close(self) -> None:
        """Nothing to release (symmetry with pose estimators)."""


def _checked_landmarks(landmarks: np.ndarray) -> np.ndarray:
    arr = np.asarray(landmarks, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[1:] != (N_LANDMARKS, N_DIMS):
        raise ValueError(f"landmarks must have shape (F, 33, 3), got {arr.shape}")
    return arr


def _valid_rows(landmarks: np.ndarray) -> np.ndarray:
    return np.isfinite(landmarks).reshape(len(landmarks), -1).all(axis=1)


# ---------------------------------------------------------------- worker threads


class _Failure:
    """An exception raised in a worker thread, carried to the main thread."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item`` unless ``stop`` is set first; return whether it was put."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _read_frames(
    reader: Iterable, out: queue.Queue, stop: threading.Event, max_frames: int | None
) -> None:
    """Reader thread: decode frames into ``out`` as ``(frame, decode_ns)``, then _END."""
    try:
        frames = iter(reader) if max_frames is None else itertools.islice(reader, max_frames)
        while not stop.is_set():
            t0 = time.perf_counter_ns()
            frame = next(frames, _END)
            if frame is _END:
                break
            if not _put(out, (frame, time.perf_counter_ns() - t0), stop):
                return
        _put(out, _END, stop)
    except BaseException as exc:
        _put(out, _Failure(exc), stop)


class _WriterThread(threading.Thread):
    """Renders and writes annotated frames taken from a bounded queue."""

    def __init__(
        self, renderer, sink, clock: StageClock, stop: threading.Event, queue_size: int
    ) -> None:
        super().__init__(name="pyengine-writer", daemon=True)
        self.renderer = renderer
        self.sink = sink
        self.clock = clock
        self.stop = stop
        self.inbox: queue.Queue = queue.Queue(maxsize=queue_size)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                try:
                    item = self.inbox.get(timeout=_POLL_S)
                except queue.Empty:
                    if self.stop.is_set():
                        return
                    continue
                if item is _END:
                    return
                self._write(*item)
        except BaseException as exc:
            # Not stop.set(): the main thread notices the error at its next step and
            # then stops the reader itself; stopping it here could leave it waiting.
            self.error = exc

    def _write(self, image: np.ndarray, result: FrameResult) -> None:
        if self.renderer is not None:
            t0 = time.perf_counter_ns()
            image = self.renderer.draw(
                image, result.landmarks, result.counts, result.raw, result.smoothed
            )
            self.clock.add("render", time.perf_counter_ns() - t0)
        if self.sink is not None:
            t0 = time.perf_counter_ns()
            self.sink.write(image)
            self.clock.add("write", time.perf_counter_ns() - t0)


# ---------------------------------------------------------------- entry points


def run_video(
    reader,
    pose: Callable[[np.ndarray, float], np.ndarray | None],
    counting: CountingStage,
    *,
    renderer=None,
    sink=None,
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
        :func:`pyengine.pose.open_estimator`, or :class:`ReplayPoses`. Called from this
        thread only, in frame order.
    counting : CountingStage
        Classifier, smoothing and counters (fresh: it keeps state across frames).
    renderer : Renderer, optional
        ``renderer.draw(image, landmarks, counts, raw, smoothed) -> image``, run in the
        writer thread.
    sink : object with ``write(image)``, optional
        Where annotated frames go (e.g. :class:`AnnotatedVideoFile`), in the writer thread.
    on_frame : callable, optional
        Called in this thread with each :class:`FrameResult` (progress bars, live events).
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
    VideoError
        The reader failed (missing, corrupt or truncated input), re-raised from its thread.
    Exception
        Whatever the pose model, renderer or sink raised. No thread is left running.
    """
    info = reader.info
    clock = StageClock()
    stop = threading.Event()
    decoded: queue.Queue = queue.Queue(maxsize=queue_size)
    reader_thread = threading.Thread(
        target=_read_frames,
        args=(reader, decoded, stop, max_frames),
        name="pyengine-reader",
        daemon=True,
    )
    writer = None
    if renderer is not None or sink is not None:
        writer = _WriterThread(renderer, sink, clock, stop, queue_size)
    recorded: list[tuple[float, np.ndarray | None]] = []
    n_frames = 0
    start = time.perf_counter_ns()
    reader_thread.start()
    if writer is not None:
        writer.start()
    try:
        while True:
            item = _next_decoded(decoded, reader_thread, writer)
            if item is _END:
                break
            if isinstance(item, _Failure):
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
                _hand_to_writer(writer, frame.image, result)
            if on_frame is not None:
                on_frame(result)
        if writer is not None:
            _finish_writer(writer)
    finally:
        stop.set()
        reader_thread.join()
        if writer is not None:
            writer.join()
    wall_s = (time.perf_counter_ns() - start) / 1e9
    return _result(
        info,
        n_frames,
        counting,
        clock,
        wall_s,
        _model_name(pose),
        recorded if record_landmarks else None,
    )


def _next_decoded(decoded: queue.Queue, reader_thread: threading.Thread, writer) -> Any:
    """The next item from the reader thread, raising at once if the writer failed."""
    while True:
        if writer is not None and writer.error is not None:
            raise writer.error
        try:
            return decoded.get(timeout=_POLL_S)
        except queue.Empty:
            if not reader_thread.is_alive() and decoded.empty():
                raise RuntimeError("the reader thread stopped without finishing") from None


def _hand_to_writer(writer: _WriterThread, image: np.ndarray, result: FrameResult) -> None:
    while True:
        if writer.error is not None:
            raise writer.error
        try:
            writer.inbox.put((image, result), timeout=_POLL_S)
            return
        except queue.Full:
            if not writer.is_alive():
                raise RuntimeError("the writer thread stopped unexpectedly") from writer.error


def _finish_writer(writer: _WriterThread) -> None:
    while writer.is_alive():
        try:
            writer.inbox.put(_END, timeout=_POLL_S)
            break
        except queue.Full:
            continue
    writer.join()
    if writer.error is not None:
        raise writer.error


def run_landmarks(
    track,
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
        Called with each :class:`FrameResult`.

    Returns
    -------
    PipelineResult
        Its ``pose_model`` is None; its latency has the classify and smooth_count stages.
    """
    landmarks = _checked_landmarks(track.landmarks)
    valid = np.asarray(track.valid, dtype=bool)
    times = np.asarray(track.times, dtype=np.float64)
    if not (len(valid) == len(times) == len(landmarks)):
        raise ValueError(
            f"track arrays disagree: {len(landmarks)} landmark frames, {len(valid)} valid flags, "
            f"{len(times)} times"
        )
    clock = StageClock()
    start = time.perf_counter_ns()
    for i in range(len(landmarks)):
        result = counting(i, float(times[i]), landmarks[i] if valid[i] else None, clock)
        if on_frame is not None:
            on_frame(result)
    wall_s = (time.perf_counter_ns() - start) / 1e9
    return _result(track.info, len(landmarks), counting, clock, wall_s, None, None)


def _result(info, n_frames, counting, clock, wall_s, model, recorded) -> PipelineResult:
    result = PipelineResult(
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
    if recorded is not None:
        stacked = np.full((len(recorded), N_LANDMARKS, N_DIMS), np.nan, dtype=np.float32)
        for i, (_, lm) in enumerate(recorded):
            if lm is not None:
                stacked[i] = lm
        # A pose with a NaN/inf coordinate is stored as no pose, as landmark files require.
        result.valid = _valid_rows(stacked)
        stacked[~result.valid] = np.nan
        result.landmarks = stacked
        result.times = np.array([t for t, _ in recorded], dtype=np.float64)
    return result


def _model_name(pose) -> str:
    return str(getattr(pose, "name", type(pose).__name__))


# ---------------------------------------------------------------- annotated output file


class AnnotatedVideoFile:
    """An annotated video written to a temporary file and renamed when complete.

    Use it as a context manager: on a clean exit the file is renamed to ``path``; on an
    exception (or ``KeyboardInterrupt``) the temporary file is deleted, so a failed run
    never leaves a half-written video.

    Parameters
    ----------
    path : str or os.PathLike
        Final file; ``.mp4`` (mp4v) or ``.avi`` (MJPG).
    fps : float
        Frame rate to write (30 when the source does not know its own).
    width, height : int
        Frame size; every written frame must have it.

    Raises
    ------
    VideoError
        Unsupported extension, missing folder, or OpenCV cannot open a writer.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, width: int, height: int) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in OUTPUT_CODECS:
            kinds = ", ".join(sorted(OUTPUT_CODECS))
            raise VideoError(f"{self.path}: cannot write this video type; use one of {kinds}")
        if not self.path.parent.is_dir():
            raise VideoError(f"{self.path}: folder {self.path.parent} does not exist")
        if width <= 0 or height <= 0:
            raise VideoError(f"{self.path}: invalid frame size {width}x{height}")
        self.size = (int(width), int(height))
        self.fps = float(fps) if fps and math.isfinite(fps) and fps > 0 else 30.0
        self._fourcc = OUTPUT_CODECS[suffix]
        self._tmp: Path | None = None
        self._writer = None
        self.n_written = 0

    def __enter__(self) -> AnnotatedVideoFile:
        import cv2

        # keep the real suffix last: OpenCV picks the container from it
        self._tmp = temporary_beside(self.path, suffix=f".tmp{self.path.suffix}")
        writer = cv2.VideoWriter(
            str(self._tmp), cv2.VideoWriter_fourcc(*self._fourcc), self.fps, self.size
        )
        if not writer.isOpened():
            self._tmp.unlink(missing_ok=True)
            raise VideoError(f"{self.path}: OpenCV cannot open a {self._fourcc} video writer")
        self._writer = writer
        return self

    def write(self, image: np.ndarray) -> None:
        """Append one BGR frame of the announced size."""
        if image.shape[1::-1] != self.size:
            raise VideoError(
                f"{self.path}: frame {self.n_written} is {image.shape[1]}x{image.shape[0]}, "
                f"the video is {self.size[0]}x{self.size[1]}"
            )
        self._writer.write(image)
        self.n_written += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        self._writer.release()
        if exc_type is None and self.n_written > 0:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)
        if exc_type is None and self.n_written == 0:
            raise VideoError(f"{self.path}: no frames to write; the file was not created")
