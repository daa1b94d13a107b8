"""2x PNGs for HiDPI screens: pixel size, display size, the palette only where it is faithful, the notebook hook."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from cs231n_cnn import screenfig
from cs231n_cnn.screenfig import png_2x


def png_header(data: bytes) -> tuple[int, int, int]:
    """Width, height and colour type from a PNG's IHDR chunk (PNG spec 11.2.2: colour type 3 is a palette)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), data[25]


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def line_art(dpi=96) -> Figure:
    fig = Figure(figsize=(3, 2), dpi=dpi)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 0], "o-")
    ax.text(1, 0.5, "x15 = 255", fontsize=10)
    ax.set_title("a title")
    return fig


def photo(dpi=96) -> Figure:
    fig = Figure(figsize=(3, 3), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(np.random.default_rng(0).random((64, 64, 3)), interpolation="nearest")
    ax.set_axis_off()
    return fig


def truecolour(fig, dpi) -> bytes:
    """The reference: matplotlib's own PNG of the figure at ``dpi``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


@pytest.mark.parametrize("dpi", [80, 96])
def test_two_image_pixels_per_css_pixel_at_the_figures_size_in_inches(dpi):
    fig = line_art(dpi)
    data, size = png_2x(fig)
    width, height, _ = png_header(data)
    assert size == {"width": 3 * dpi, "height": 2 * dpi}          # figsize (3, 2) inches at dpi CSS px per inch
    assert (width, height) == (2 * 3 * dpi, 2 * 2 * dpi)


def test_dpi_argument_overrides_the_figures():
    data, size = png_2x(line_art(80), dpi=96)
    assert size == {"width": 288, "height": 192} and png_header(data)[:2] == (576, 384)


def test_line_art_gets_a_faithful_smaller_palette():
    fig = line_art()
    data, _ = png_2x(fig)
    reference = truecolour(fig, 192)
    assert png_header(data)[2] == 3
    assert len(data) < len(reference) / 2
    assert np.abs(pixels(data) - pixels(reference)).max() <= screenfig.PALETTE_TOLERANCE


def test_a_many_coloured_image_stays_exact():
    # 4096 random colours: a 256-colour palette would be far off, so the PNG stays true colour.
    fig = photo()
    data, _ = png_2x(fig)
    assert png_header(data)[2] != 3
    np.testing.assert_array_equal(pixels(data), pixels(truecolour(fig, 192)))


def test_tight_crops_and_keeps_the_ratio():
    data, size = png_2x(line_art(), bbox_inches="tight")
    width, height, _ = png_header(data)
    assert (width, height) == (2 * size["width"], 2 * size["height"])
    assert size["width"] < 3 * 96 + 2 * 0.1 * 96      # cropped to the artists, padded by 0.1 in at most


def test_use_in_notebook_formats_every_figure_as_2x():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        screenfig.use_in_notebook(shell)
        data, metadata = shell.display_formatter.format(line_art(96))
        width, height, _ = png_header(data["image/png"])
        assert (width, height) == (2 * metadata["image/png"]["width"], 2 * metadata["image/png"]["height"])
        empty, _ = shell.display_formatter.format(Figure())
        assert "image/png" not in empty
    finally:
        shell.display_formatter.formatters["image/png"].pop(Figure, None)
        InteractiveShell.clear_instance()


def test_use_in_notebook_outside_ipython_does_nothing():
    screenfig.use_in_notebook()          # no running IPython: no error, nothing to change
