from __future__ import annotations

import io
import struct
import wave

import pytest
from PIL import Image

from labelwell.demo import png_bytes
from labelwell.errors import InvalidInput
from labelwell.formats.media_folder import MediaFolderImporter, image_size


def _wav(path):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(struct.pack("<800h", *([0] * 800)))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP"])
def test_image_sizes_match_pillow(tmp_path, fmt):
    path = tmp_path / f"img.{fmt.lower()}"
    Image.new("RGB", (123, 45), (10, 20, 30)).save(path, format=fmt)
    assert image_size(path) == (123, 45)


def test_folder_becomes_one_item_per_media_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.png").write_bytes(png_bytes(64, 32, []))
    buf = io.BytesIO()
    Image.new("RGB", (20, 10)).save(buf, format="JPEG")
    (tmp_path / "sub" / "b.jpg").write_bytes(buf.getvalue())
    _wav(tmp_path / "c.wav")
    (tmp_path / "notes.txt").write_text("not media")
    rows = list(MediaFolderImporter().read(tmp_path))
    assert [r.external_id for r in rows] == ["a.png", "c.wav", "sub/b.jpg"]
    assert rows[0].data["width"] == 64 and rows[0].data["height"] == 32
    assert rows[1].data == {"audio": str(tmp_path / "c.wav")}
    assert rows[2].data["width"] == 20


def test_a_broken_image_is_named(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not really a png")
    with pytest.raises(InvalidInput, match="bad.png"):
        list(MediaFolderImporter().read(tmp_path))
