"""Frames in and out: video and camera input, the threaded per-frame pipeline, rendering,
the annotated output file, and landmark files (a video's poses, saved).

- :mod:`~pyengine.video.readers`: :class:`VideoReader`, :class:`CameraReader` and
  :func:`open_source` yield :class:`Frame` objects described by a :class:`VideoInfo`.
- :mod:`~pyengine.video.landmark_file`: run the pose model once
  (:func:`extract_landmarks`), keep the result in a file (:func:`save_landmarks`,
  :func:`load_landmarks`; format in ``docs/landmark_format.md``), replay it
  (:class:`ReplayPoses`).
- :mod:`~pyengine.video.pipeline`: the per-frame loop driving a counting stage
  (:func:`run_video`, :func:`run_landmarks`); its threads are in
  :mod:`~pyengine.video.threads`.
- :mod:`~pyengine.video.render`: :class:`Renderer` draws the skeleton, the repetition
  counts and the classification history onto frames.
- :mod:`~pyengine.video.writer`: :class:`AnnotatedVideoFile`, the annotated output
  (H.264 in MP4 with the input's sound, written with PyAV).

Files are read with PyAV (exact frame times, the display rotation phones write), cameras
with OpenCV.

May import: :mod:`pyengine.counting` (the stage it drives), :mod:`pyengine.landmarks`,
:mod:`pyengine.settings`, :mod:`pyengine.timing`, :mod:`pyengine.errors`. Never the
command line or the report.
"""

from __future__ import annotations

from .landmark_file import (
    LandmarkTrack,
    ReplayPoses,
    extract_landmarks,
    load_landmarks,
    save_landmarks,
)
from .readers import CameraReader, Frame, VideoInfo, VideoReader, open_source
from .render import Renderer

__all__ = [
    "CameraReader",
    "Frame",
    "LandmarkTrack",
    "Renderer",
    "ReplayPoses",
    "VideoInfo",
    "VideoReader",
    "extract_landmarks",
    "load_landmarks",
    "open_source",
    "save_landmarks",
]
