"""Pictures the local runtime needs without an imaging library: a complete PNG, built byte by byte (the
demo's Dog Day banner; tests use the same builder)."""

import struct
import zlib


def png(width: int, height: int, grey: int = 0x80) -> bytes:
    """A complete greyscale PNG of this size, one shade."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes([grey]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
