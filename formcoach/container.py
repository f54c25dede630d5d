"""What an MP4/MOV file's boxes say that OpenCV does not: how long its video track is *presented*.

A phone that trims a clip often keeps every recorded frame and adds an edit list (`elst`) that
skips the cut part. FFmpeg (inside OpenCV) honours the list and decodes only the presented frames,
while `CAP_PROP_FRAME_COUNT` still counts all the stored ones; read alone, a trimmed clip looks
damaged. Pure Python on the file's bytes; only the `moov` box is read into memory.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Iterator

#: A `moov` box larger than this is not read (a sane one is a few MB even for long clips).
MAX_MOOV_BYTES = 64 << 20


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[str, bytes]]:
    """(type, payload) of each box in `data[start:end]`, in order; stops at the first malformed one."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if size == 1:
            if offset + 16 > end:
                return
            size, header = struct.unpack(">Q", data[offset + 8:offset + 16])[0], 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind.decode("latin-1"), data[offset + header:offset + size]
        offset += size


def _child(payload: bytes, kind: str) -> bytes | None:
    return next((body for name, body in boxes(payload) if name == kind), None)


def _movie_timescale(moov: bytes) -> int | None:
    mvhd = _child(moov, "mvhd")
    if mvhd is None or len(mvhd) < 24:
        return None
    at = 20 if mvhd[0] == 1 else 12  # version 1: 64-bit creation and modification times
    scale = struct.unpack(">I", mvhd[at:at + 4])[0]
    return scale or None


def _edit_seconds(elst: bytes, timescale: int) -> float | None:
    """Seconds of media an edit list presents: its segments, without the empty ones (a delay)."""
    if len(elst) < 8:
        return None
    version, count = elst[0], struct.unpack(">I", elst[4:8])[0]
    entry, fields = (20, ">Qq") if version == 1 else (12, ">Ii")
    total = 0
    for i in range(count):
        at = 8 + i * entry
        if at + entry > len(elst):
            return None
        duration, media_time = struct.unpack(fields, elst[at:at + struct.calcsize(fields)])
        if media_time != -1:
            total += duration
    return total / timescale if total > 0 else None


def parse_presented_seconds(moov: bytes) -> float | None:
    """Seconds the first video track's edit list presents, from a `moov` payload (None: no such list)."""
    timescale = _movie_timescale(moov)
    if timescale is None:
        return None
    for kind, trak in boxes(moov):
        if kind != "trak":
            continue
        mdia = _child(trak, "mdia")
        hdlr = _child(mdia, "hdlr") if mdia is not None else None
        if hdlr is None or hdlr[8:12] != b"vide":
            continue
        edts = _child(trak, "edts")
        elst = _child(edts, "elst") if edts is not None else None
        return _edit_seconds(elst, timescale) if elst is not None else None
    return None


def presented_video_seconds(path: str | Path) -> float | None:
    """Seconds of video an MP4/MOV file's edit list presents; None where it has none (or is not one)."""
    try:
        with open(path, "rb") as f:
            while header := f.read(8):
                if len(header) < 8:
                    return None
                size, kind = struct.unpack(">I4s", header)
                skip = size - 8
                if size == 1:
                    large = f.read(8)
                    if len(large) < 8:
                        return None
                    size = struct.unpack(">Q", large)[0]
                    skip = size - 16
                if kind == b"moov":
                    if size == 0 or skip > MAX_MOOV_BYTES:
                        return None
                    return parse_presented_seconds(f.read(skip))
                if size == 0 or skip < 0:  # to the end of the file, or malformed: no moov after it
                    return None
                f.seek(skip, 1)
    except OSError:
        return None
    return None
