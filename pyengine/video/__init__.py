"""Video and camera input, landmark files and on-frame rendering.

- :mod:`~pyengine.video.readers`: :class:`VideoReader`, :class:`CameraReader` and
  :func:`open_source` yield :class:`Frame` objects described by a :class:`VideoInfo`.
- :mod:`~pyengine.video.landmark_file`: run the pose model once
  (:func:`extract_landmarks`), keep the result in a file (:func:`save_landmarks`,
  :func:`load_landmarks`; format in ``docs/landmark_format.md``).
- :mod:`~pyengine.video.render`: :class:`Renderer` draws the skeleton, the repetition
  counts and the classification history onto frames.
- :mod:`~pyengine.video.pipeline`: the per-frame loop tying them to the classifier.
"""

from __future__ import annotations

from .landmark_file import LandmarkTrack, extract_landmarks, load_landmarks, save_landmarks
from .readers import CameraReader, Frame, VideoInfo, VideoReader, open_source
from .render import Renderer

__all__ = [
    "CameraReader",
    "Frame",
    "LandmarkTrack",
    "Renderer",
    "VideoInfo",
    "VideoReader",
    "extract_landmarks",
    "load_landmarks",
    "open_source",
    "save_landmarks",
]
