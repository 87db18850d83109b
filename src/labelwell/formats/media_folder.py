"""A folder of media files as items: one item per image, audio or video file.

Images get their pixel size read from the file header (PNG, JPEG, GIF, BMP,
WebP) so that box and polygon results can be checked against it; audio and
video files are referenced by path. Files are taken in sorted order, recursing
into sub-folders; anything else in the folder is skipped and counted.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow, register_importer

IMAGE = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}
AUDIO = {".wav", ".mp3", ".flac", ".ogg", ".m4a", ".opus"}
VIDEO = {".mp4", ".webm", ".mov", ".mkv", ".avi"}


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the image header; InvalidInput when unreadable."""
    with open(path, "rb") as fh:
        head = fh.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head.startswith(b"BM"):
            width, height = struct.unpack("<ii", head[18:26])
            return width, abs(height)
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return _webp_size(head, fh)
        if head.startswith(b"\xff\xd8"):
            fh.seek(2)
            return _jpeg_size(fh, path)
    raise InvalidInput(f"{path.name}: not a PNG, JPEG, GIF, BMP or WebP image", field="file")


def _webp_size(head: bytes, fh: BinaryIO) -> tuple[int, int]:
    kind = head[12:16]
    if kind == b"VP8X":
        width = 1 + int.from_bytes(head[24:27], "little")
        height = 1 + int.from_bytes(head[27:30], "little")
        return width, height
    if kind == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    data = head + fh.read(8)
    width, height = struct.unpack("<HH", data[26:30])
    return width & 0x3FFF, height & 0x3FFF


def _jpeg_size(fh: BinaryIO, path: Path) -> tuple[int, int]:
    read = fh.read
    while True:
        marker = read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            break
        if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
            continue
        length = struct.unpack(">H", read(2))[0]
        if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">xHH", read(5))
            return width, height
        read(length - 2)
    raise InvalidInput(f"{path.name}: JPEG without a frame header", field="file")


class MediaFolderImporter:
    """``labelwell import PROJECT path/to/folder``: one item per media file."""

    name = "folder"

    def read(self, path: Path) -> Iterator[ImportRow]:
        if not path.is_dir():
            raise InvalidInput(f"{path}: not a folder", field="path")
        line = 0
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            suffix = file.suffix.lower()
            relative = file.relative_to(path).as_posix()
            if suffix in IMAGE:
                width, height = image_size(file)
                data: dict[str, object] = {"image": str(file), "width": width, "height": height}
            elif suffix in AUDIO:
                data = {"audio": str(file)}
            elif suffix in VIDEO:
                data = {"video": str(file)}
            else:
                continue
            line += 1
            yield ImportRow(line=line, data=data, external_id=relative, media=[str(file)])


register_importer("folder")(MediaFolderImporter)
