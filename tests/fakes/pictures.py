"""Pictures for tests, built byte by byte (no imaging library): `png` is a complete, decodable PNG (one grey
colour); `jpeg` and `gif` carry real headers (what `compliance.images.read_facts` and a gateway's size check
read) and are padded to a chosen size."""

import struct

from nudge_local.demo.pictures import png

__all__ = ["gif", "jpeg", "png"]


def jpeg(width: int, height: int, size: int = 2_000, *, progressive: bool = False) -> bytes:
    """A JPEG: SOI, a JFIF APP0 segment, a start-of-frame with this size, padding, EOI; `size` bytes."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc2" if progressive else b"\xff\xc0"
    frame = sof + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    head = b"\xff\xd8" + app0 + frame
    return head + b"\x00" * max(0, size - len(head) - 2) + b"\xff\xd9"


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"
