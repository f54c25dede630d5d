"""The MP4/MOV edit-list reader on hand-built boxes: what a phone's trim presents, and nothing guessed."""

from __future__ import annotations

import struct

from formcoach.container import boxes, parse_presented_seconds, presented_video_seconds


def box(kind: str, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind.encode()) + payload


def mvhd(timescale: int, version: int = 0) -> bytes:
    times = bytes(16) if version == 1 else bytes(8)
    return box("mvhd", bytes([version, 0, 0, 0]) + times + struct.pack(">I", timescale) + bytes(80))


def elst(entries: list[tuple[int, int]], version: int = 0) -> bytes:
    fields = ">QqI" if version == 1 else ">IiI"
    body = b"".join(struct.pack(fields, duration, media_time, 1 << 16) for duration, media_time in entries)
    return box("edts", box("elst", bytes([version, 0, 0, 0]) + struct.pack(">I", len(entries)) + body))


def trak(handler: bytes, edits: bytes = b"") -> bytes:
    hdlr = box("hdlr", bytes(8) + handler + bytes(12))
    return box("trak", box("tkhd", bytes(84)) + edits + box("mdia", box("mdhd", bytes(24)) + hdlr))


def moov(*children: bytes) -> bytes:
    return b"".join(children)


def test_the_video_tracks_edit_list_gives_the_presented_seconds():
    audio = trak(b"soun", elst([(9000, 0)]))
    video = trak(b"vide", elst([(3935, 725)]))  # a 4.7 s recording trimmed to 3.9 s, from 0.7 s on
    assert parse_presented_seconds(moov(mvhd(1000), audio, video)) == 3.935


def test_empty_edits_are_a_delay_not_frames_and_version_1_lists_read_alike():
    video = trak(b"vide", elst([(500, -1), (2000, 0)], version=1))
    assert parse_presented_seconds(moov(mvhd(1000, version=1), video)) == 2.0


def test_no_edit_list_no_video_track_or_no_timescale_says_nothing():
    assert parse_presented_seconds(moov(mvhd(1000), trak(b"vide"))) is None
    assert parse_presented_seconds(moov(mvhd(1000), trak(b"soun", elst([(1000, 0)])))) is None
    assert parse_presented_seconds(moov(trak(b"vide", elst([(1000, 0)])))) is None
    assert parse_presented_seconds(moov(mvhd(0), trak(b"vide", elst([(1000, 0)])))) is None


def test_malformed_boxes_end_the_walk_instead_of_raising():
    good = box("free", b"abc")
    assert [k for k, _ in boxes(good + struct.pack(">I4s", 4, b"bad!") + good)] == ["free"]  # size below the header
    assert [k for k, _ in boxes(good + struct.pack(">I4s", 99, b"long"))] == ["free"]  # past the end
    cut_list = box("edts", box("elst", bytes(4) + struct.pack(">I", 3) + bytes(12)))  # says 3 entries, holds 1
    assert parse_presented_seconds(moov(mvhd(1000), trak(b"vide", cut_list))) is None


def test_files_are_read_to_their_moov_box_wherever_it_is(tmp_path):
    movie = box("moov", moov(mvhd(600), trak(b"vide", elst([(1200, 0)]))))
    at_end = tmp_path / "at_end.mp4"
    at_end.write_bytes(box("ftyp", b"isom") + box("mdat", bytes(5000)) + movie)
    assert presented_video_seconds(at_end) == 2.0
    large_mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + 100) + bytes(100)  # a 64-bit box size
    (tmp_path / "large.mp4").write_bytes(box("ftyp", b"isom") + large_mdat + movie)
    assert presented_video_seconds(tmp_path / "large.mp4") == 2.0
    (tmp_path / "text.mp4").write_bytes(b"not a video at all, just some text")
    assert presented_video_seconds(tmp_path / "text.mp4") is None
    assert presented_video_seconds(tmp_path / "missing.mp4") is None
