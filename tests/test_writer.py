"""The annotated video: H.264 in MP4 that browsers play, with the input's sound, true colours."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from pyengine.errors import VideoError
from pyengine.video.readers import VideoReader
from pyengine.video.writer import AnnotatedVideoFile

SIZE = (128, 96)


def _source_with_sound(path: Path, audio_codec: str = "aac", seconds: float = 1.0) -> None:
    """A small video with a 440 Hz tone, as a camera or phone would record it."""
    rate = 48_000
    with av.open(str(path), mode="w") as output:
        video = output.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        sound = output.add_stream(audio_codec, rate=rate)
        for i in range(round(25 * seconds)):
            image = np.full((SIZE[1], SIZE[0], 3), (7 * i) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            for packet in video.encode(frame):
                output.mux(packet)
        tone = np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)
        samples = (tone * 8000).astype(np.int16)
        for start in range(0, len(samples), 1024):
            chunk = samples[start : start + 1024].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for packet in sound.encode(frame):
                output.mux(packet)
        for stream in (video, sound):
            for packet in stream.encode(None):
                output.mux(packet)


def _annotate(out: Path, source: Path | None, n_frames: int = 25, **options) -> None:
    with AnnotatedVideoFile(out, 25.0, *SIZE, source=source, **options) as sink:
        for i in range(n_frames):
            sink.write(np.full((SIZE[1], SIZE[0], 3), 90, np.uint8), i / 25.0)


def _audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return [bytes(p) for p in container.demux(stream) if p.size]


def test_mp4_is_h264_with_the_index_first(tmp_path):
    out = tmp_path / "out.mp4"
    _annotate(out, None)
    with av.open(str(out)) as container:
        (video,) = container.streams.video
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"  # what browsers decode
        assert video.codec_context.profile in ("High", "Main", "Constrained Baseline")
        assert video.frames == 25 and not container.streams.audio
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: plays while loading


def test_the_inputs_sound_is_copied_packet_for_packet(tmp_path):
    source = tmp_path / "in.mp4"
    _source_with_sound(source)
    out = tmp_path / "out.mp4"
    _annotate(out, source)
    copied, original = _audio_packets(out), _audio_packets(source)
    assert copied and copied == original[: len(copied)]
    assert len(copied) >= len(original) - 2  # the whole second of sound, to the last frame
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.duration / 1e6 == pytest.approx(1.0, abs=0.06)


def test_sound_an_mp4_cannot_carry_is_re_encoded_to_aac(tmp_path):
    source = tmp_path / "in.mov"
    _source_with_sound(source, audio_codec="pcm_s16le")
    out = tmp_path / "out.mp4"
    _annotate(out, source)
    with av.open(str(out)) as container:
        sound = container.streams.audio[0]
        assert sound.codec_context.name == "aac"
        frames = list(container.decode(sound))
    decoded = np.concatenate([f.to_ndarray()[0] for f in frames])
    assert len(decoded) / 48_000 == pytest.approx(1.0, abs=0.05)
    assert np.abs(decoded).max() > 0.1  # the tone, not silence


def test_colours_survive_the_round_trip(tmp_path):
    colours = [(0, 0, 255), (0, 200, 0), (255, 0, 0), (30, 30, 30), (240, 240, 240)]
    out = tmp_path / "colours.mp4"
    with AnnotatedVideoFile(out, 25.0, *SIZE, quality=12) as sink:
        for colour in colours:
            sink.write(np.full((SIZE[1], SIZE[0], 3), colour, np.uint8))
    with VideoReader(out) as reader:
        means = [f.image.reshape(-1, 3).mean(axis=0) for f in reader]
    for mean, colour in zip(means, colours):
        assert np.abs(mean - colour).max() < 6, (mean, colour)


def test_odd_sizes_and_avi(tmp_path):
    odd = tmp_path / "odd.mp4"
    with AnnotatedVideoFile(odd, 25.0, 97, 65) as sink:
        for _ in range(3):
            sink.write(np.full((65, 97, 3), 120, np.uint8))
    with VideoReader(odd) as reader:
        assert (reader.info.width, reader.info.height) == (98, 66)  # one edge pixel repeated
        assert len(list(reader)) == 3
    avi = tmp_path / "clip.avi"
    _annotate(avi, None, n_frames=4)
    with av.open(str(avi)) as container:
        assert container.streams.video[0].codec_context.name == "mjpeg"
        assert container.streams.video[0].frames == 4
    with VideoReader(avi) as reader:
        assert len(list(reader)) == 4


def test_the_quality_trades_size(tmp_path):
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 255, (SIZE[1], SIZE[0], 3), dtype=np.uint8) for _ in range(10)]
    sizes = {}
    for quality in (18, 35):
        out = tmp_path / f"q{quality}.mp4"
        with AnnotatedVideoFile(out, 25.0, *SIZE, quality=quality) as sink:
            for frame in frames:
                sink.write(frame)
        sizes[quality] = out.stat().st_size
    assert sizes[35] < sizes[18] / 2
    with pytest.raises(VideoError, match=r"0 \(best\) to 51"):
        AnnotatedVideoFile(tmp_path / "x.mp4", 25.0, *SIZE, quality=52)


def test_an_interrupted_video_leaves_nothing(tmp_path):
    source = tmp_path / "in.mp4"
    _source_with_sound(source)
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt), AnnotatedVideoFile(out, 25, *SIZE, source=source) as s:
        s.write(np.zeros((SIZE[1], SIZE[0], 3), np.uint8))
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
