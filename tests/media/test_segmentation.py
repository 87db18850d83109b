"""Segmentation help: SLIC superpixels, GrabCut, flood fill and the tiled
pyramid, on images with known answers."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image
from skimage.segmentation import slic

from labelwell.media import segmentation as seg


def scene(w: int = 320, h: int = 240) -> np.ndarray:
    rng = np.random.default_rng(3)
    rgb = np.clip(rng.normal(200, 6, (h, w, 3)), 0, 255).astype(np.uint8)
    rgb[60:160, 80:200] = np.clip(rng.normal((40, 150, 60), 6, (100, 120, 3)), 0, 255)
    return rgb


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_superpixels_are_skimage_slic_and_round_trip_through_the_png():
    rgb = scene()
    labels = seg.superpixels(rgb, n_segments=200)
    ref = slic(rgb, n_segments=200, compactness=10.0, start_label=1, channel_axis=-1)
    assert np.array_equal(labels, ref)
    with Image.open(io.BytesIO(seg.label_map_png(labels))) as im:
        back = np.asarray(im.convert("RGB")).astype(int)
    assert np.array_equal(back[..., 0] + 256 * back[..., 1], labels)
    # painting the superpixels that are mostly inside gives the rectangle back
    inside = np.zeros(rgb.shape[:2], bool)
    inside[60:160, 80:200] = True
    picked = np.zeros_like(inside)
    for k in np.unique(labels):
        if inside[labels == k].mean() > 0.5:
            picked |= labels == k
    assert iou(picked, inside) > 0.9


def test_grabcut_finds_the_rectangle_in_a_box():
    rgb = scene()
    mask = seg.grabcut(rgb, (60, 40, 160, 140))
    truth = np.zeros(rgb.shape[:2], bool)
    truth[60:160, 80:200] = True
    assert iou(mask, truth) > 0.95


def test_a_box_over_the_whole_image_is_taken_whole():
    rgb = scene()
    assert seg.grabcut(rgb, (0, 0, 320, 240)).all()


def test_flood_region_grows_within_the_colour():
    rgb = scene()
    mask = seg.flood_region(rgb, (120, 100))
    truth = np.zeros(rgb.shape[:2], bool)
    truth[60:160, 80:200] = True
    assert iou(mask, truth) > 0.98


def test_pyramid_tiles_cover_every_level(tmp_path):
    rgb = scene(1300, 700)
    src = tmp_path / "big.png"
    Image.fromarray(rgb).save(src)
    p = seg.pyramid(src, tmp_path / "tiles", tile=256)
    assert (p.width, p.height, p.tile) == (1300, 700, 256)
    assert p.levels == 1 + math.ceil(math.log2(1300 / 256))  # the last level fits one tile
    for level in range(p.levels):
        w, h = seg.level_size(1300, 700, level)
        cols, rows = math.ceil(w / 256), math.ceil(h / 256)
        for c in range(cols):
            for r in range(rows):
                path = p.tile_path(level, c, r)
                assert path is not None and path.is_file()
        assert p.tile_path(level, cols, 0) is None
    with Image.open(p.tile_path(p.levels - 1, 0, 0)) as top:
        assert top.size == seg.level_size(1300, 700, p.levels - 1)
    # level 0's first tile is the image's corner (JPEG, so near)
    with Image.open(p.tile_path(0, 0, 0)) as im:
        corner = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(corner - rgb[:256, :256]).mean() < 8  # noise through JPEG
    again = seg.pyramid(src, tmp_path / "tiles", tile=256)  # read back, not rebuilt
    assert again == p


@pytest.mark.parametrize("side", [4000])
def test_read_rgb_shrinks_large_images(tmp_path, side):
    src = tmp_path / "large.png"
    Image.new("RGB", (side, side // 2), (10, 20, 30)).save(src)
    small = seg.read_rgb(src, 1024)
    assert small.shape == (512, 1024, 3)
    assert seg.pyramid_size(src) == (side // 2, side)


def test_the_pixel_limit_stays_raised_while_another_thread_has_an_image_open(tmp_path):
    # Pillow's limit is one per process: a thread leaving _open must not lower
    # it under a thread still reading (a large TIFF is checked again on load)
    import threading

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    default = Image.MAX_IMAGE_PIXELS
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with seg._open(tmp_path / "a.png"):
            inside.set()
            leave.wait(10)

    other = threading.Thread(target=hold)
    with seg._open(tmp_path / "a.png"):  # this thread opens first and leaves first
        other.start()
        assert inside.wait(10)
    assert Image.MAX_IMAGE_PIXELS == seg.MAX_PIXELS  # the other thread is still reading
    leave.set()
    other.join(10)
    assert default == Image.MAX_IMAGE_PIXELS


def test_pyramid_size_reads_a_header_from_the_first_bytes_alone():
    buf = io.BytesIO()
    Image.fromarray(scene(640, 480)).save(buf, "JPEG")
    assert seg.pyramid_size(io.BytesIO(buf.getvalue()[:2048])) == (480, 640)
