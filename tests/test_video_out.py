"""The annotated video is H.264 MP4 that browsers play, timed by the source's own clock."""

from __future__ import annotations

import av
import numpy as np
import pytest

from formcoach.video_out import VideoWriter, output_size


@pytest.mark.parametrize("size, max_side, expected", [
    ((640, 480), 1280, (640, 480)),        # small: unchanged
    ((3840, 2160), 1280, (1280, 720)),     # 4K: long side 1280
    ((1080, 1920), 1280, (720, 1280)),     # portrait
    ((641, 481), 1280, (640, 480)),        # odd: made even (yuv420p needs it)
    ((1921, 721), 1280, (1280, 480)),
    ((3840, 2160), 0, (3840, 2160)),       # 0 = full size
])
def test_output_size(size, max_side, expected):
    assert output_size(*size, max_side=max_side) == expected


def _write(path, times, size=(96, 64), fps=30.0, **kw):
    writer = VideoWriter(path, fps, **kw)
    for i, t in enumerate(times):
        image = np.full((size[1], size[0], 3), (i * 7) % 256, np.uint8)
        writer.write(image, t)
    writer.close()
    return path


def _probe(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(f.pts * f.time_base) for f in container.decode(stream)]
        return stream.codec_context.name, stream.codec_context.pix_fmt, (stream.width, stream.height), times, container.duration / 1e6


def test_h264_yuv420p_with_the_source_duration(tmp_path):
    codec, pix_fmt, size, times, duration = _probe(_write(tmp_path / "a.mp4", [i / 30 for i in range(60)]))
    assert (codec, pix_fmt, size) == ("h264", "yuv420p", (96, 64))
    assert len(times) == 60
    assert duration == pytest.approx(2.0, abs=0.01)


def test_frame_times_come_from_the_source_not_a_fixed_rate(tmp_path):
    """A live recording that dropped frames plays at real speed; a set starting at 35 s starts at 0."""
    given = [35.0, 35.1, 35.5, 35.6, 37.0]
    _, _, _, times, duration = _probe(_write(tmp_path / "b.mp4", given))
    assert times == pytest.approx([t - 35.0 for t in given], abs=1e-3)
    assert duration == pytest.approx(2.0 + 1 / 30, abs=0.01)


def test_large_frames_are_scaled_to_1280_and_odd_sizes_made_even(tmp_path):
    _, _, size, _, _ = _probe(_write(tmp_path / "c.mp4", [0.0, 0.04], size=(1921, 1081)))
    assert size == (1280, 720)


def test_moov_atom_first_so_it_plays_while_downloading(tmp_path):
    head = _write(tmp_path / "d.mp4", [0.0, 0.1]).read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)


def test_frames_without_times_use_the_nominal_rate(tmp_path):
    writer = VideoWriter(tmp_path / "e.mp4", 10.0)
    for _ in range(5):
        writer.write(np.zeros((32, 32, 3), np.uint8))
    writer.close()
    assert _probe(tmp_path / "e.mp4")[3] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4], abs=1e-3)
