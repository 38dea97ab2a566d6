"""Thread plumbing of the video pipeline: a reader thread, a writer thread, bounded queues.

The main thread runs the pose model in frame order; decoding runs before it in a reader
thread and rendering/writing after it in a writer thread. Every wait polls a stop event,
so an error in any thread stops the others and none is left running.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from ..counting import FrameResult
from ..timing import StageClock

_POLL_S = 0.05

#: Marks the end of a stream of frames in a queue.
END = object()


class Failure:
    """An exception raised in a worker thread, carried to the main thread."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class FrameRenderer(Protocol):
    """Draws one frame's annotations (see :class:`pyengine.video.render.Renderer`)."""

    def draw(
        self,
        image: np.ndarray,
        landmarks: np.ndarray | None,
        counts: dict[str, int],
        raw: dict[str, int],
        smoothed: dict[str, float],
    ) -> np.ndarray: ...


class FrameSink(Protocol):
    """Where annotated frames go (see :class:`pyengine.video.writer.AnnotatedVideoFile`)."""

    def write(self, image: np.ndarray, time_s: float | None = None) -> None: ...


def put_unless_stopped(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put ``item`` unless ``stop`` is set first; return whether it was put."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def start_reader(
    reader: Iterable, out: queue.Queue, stop: threading.Event, max_frames: int | None
) -> threading.Thread:
    """Start a thread decoding ``reader`` into ``out`` as ``(frame, decode_ns)``, then END.

    A failure is put in the queue as :class:`Failure`.
    """
    thread = threading.Thread(
        target=_read_frames,
        args=(reader, out, stop, max_frames),
        name="pyengine-reader",
        daemon=True,
    )
    thread.start()
    return thread


def _read_frames(
    reader: Iterable, out: queue.Queue, stop: threading.Event, max_frames: int | None
) -> None:
    try:
        frames = iter(reader) if max_frames is None else itertools.islice(reader, max_frames)
        while not stop.is_set():
            t0 = time.perf_counter_ns()
            frame = next(frames, END)
            if frame is END:
                break
            if not put_unless_stopped(out, (frame, time.perf_counter_ns() - t0), stop):
                return
        put_unless_stopped(out, END, stop)
    except BaseException as exc:
        put_unless_stopped(out, Failure(exc), stop)


def next_decoded(decoded: queue.Queue, reader_thread: threading.Thread, writer) -> Any:
    """The next item from the reader thread, raising at once if the writer failed."""
    while True:
        if writer is not None and writer.error is not None:
            raise writer.error
        try:
            return decoded.get(timeout=_POLL_S)
        except queue.Empty:
            if not reader_thread.is_alive() and decoded.empty():
                raise RuntimeError("the reader thread stopped without finishing") from None


class WriterThread(threading.Thread):
    """Renders and writes annotated frames taken from a bounded queue."""

    def __init__(
        self,
        renderer: FrameRenderer | None,
        sink: FrameSink | None,
        clock: StageClock,
        stop: threading.Event,
        queue_size: int,
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
                if item is END:
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
            self.sink.write(image, result.time_s)
            self.clock.add("write", time.perf_counter_ns() - t0)

    def hand_over(self, image: np.ndarray, result: FrameResult) -> None:
        """Queue one frame for the writer (main thread), raising if the writer failed."""
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.inbox.put((image, result), timeout=_POLL_S)
                return
            except queue.Full:
                if not self.is_alive():
                    raise RuntimeError("the writer thread stopped unexpectedly") from self.error

    def finish(self) -> None:
        """Tell the writer that no frame follows, wait for it, and raise its error if any."""
        while self.is_alive():
            try:
                self.inbox.put(END, timeout=_POLL_S)
                break
            except queue.Full:
                continue
        self.join()
        if self.error is not None:
            raise self.error
