"""The explorer's geometry: window positions, the output-size text, one dot product."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from cs231n_cnn import explorer
from cs231n_cnn.explorer import demo_volume, dot_product_at, fit_report, window_starts
from cs231n_cnn.shapes import output_size


@pytest.mark.parametrize("W, F, S, P, starts, overhang", [
    (5, 3, 1, 1, [0, 1, 2, 3, 4], None),
    (5, 3, 2, 1, [0, 2, 4], None),
    (5, 3, 3, 1, [0, 3], 6),            # the notes' S=3 example: the third window hangs over
    (7, 3, 4, 1, [0, 4], 8),
    (2, 5, 1, 0, [], 0),                # the filter is wider than the padded input
], ids=["S1", "S2", "S3-overhang", "S4-overhang", "too-wide"])
def test_window_starts(W, F, S, P, starts, overhang):
    assert window_starts(W, F, S, P) == (starts, overhang)


@pytest.mark.parametrize("W, F, S, P", [(W, F, S, P) for W in (1, 4, 7, 10) for F in (1, 2, 3, 5)
                                        for S in (1, 2, 3) for P in (0, 1, 2)])
def test_windows_agree_with_the_formula(W, F, S, P):
    starts, overhang = window_starts(W, F, S, P)
    report = fit_report(W, F, S, P)
    assert report.fits == (bool(starts) and overhang is None)
    if report.fits:
        assert report.size == len(starts) == output_size(W, F, S, P)
        assert report.text.endswith(f"= {report.size}")


def test_fit_report_shows_the_layers_error_with_the_fraction():
    report = fit_report(7, 3, 4, 1)
    assert not report.fits and report.size is None
    assert "(7 - 3 + 2*1)/4 + 1 = 2.5 is not an integer" in report.text


def test_fit_report_of_a_fitting_layer():
    assert fit_report(7, 3, 2, 1).text == "W_out = (W - F + 2P)/S + 1 = (7 - 3 + 2*1)/2 + 1 = 4"


def test_dot_products_make_the_convolution():
    x, w, b = demo_volume(seed=0)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    # cross-correlation over all three channels at stride 1, then every second output
    full = sum(signal.correlate2d(padded[d], w[d], mode="valid") for d in range(3))[::2, ::2] + b
    assert full.shape == (3, 3)
    for i in range(3):
        for j in range(3):
            dp = dot_product_at(x, w, b, i, j, stride=2, pad=1)
            assert dp.value == full[i, j]
            assert dp.patch.shape == (3, 3, 3) and (dp.row, dp.col) == (2 * i, 2 * j)
            np.testing.assert_array_equal(dp.per_channel, (dp.patch * w).sum(axis=(1, 2)))


def test_dot_product_outside_the_output_is_refused():
    x, w, b = demo_volume()
    with pytest.raises(ValueError, match="outside the 3x3 output"):
        dot_product_at(x, w, b, 3, 0, stride=2, pad=1)


def test_demo_volume_is_small_integers():
    x, w, b = demo_volume()
    assert x.shape == (3, 5, 5) and w.shape == (3, 3, 3) and b == 1.0
    assert set(np.unique(x)) <= {0, 1, 2} and set(np.unique(w)) <= {-1, 0, 1}


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("S", [2, 4], ids=["tiles", "overhangs"])
def test_conv_figure_title_colour(dims, S):
    fig = explorer.conv_figure(7, 3, S, 1, dims=dims)
    assert fig._suptitle.get_color() == (explorer._GREEN if S == 2 else explorer._RED)


def test_static_mode_without_widgets(monkeypatch):
    monkeypatch.setenv(explorer.STATIC_ENV, "1")
    assert not explorer.widgets_enabled()
    assert explorer.widgets_enabled(True) and not explorer.widgets_enabled(False)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    explorer.explore_conv(W=7, F=3, S=4, P=1, interactive=None)
    explorer.explore_dot_product(4, interactive=False)
    kinds = [type(o).__name__ for o in shown]
    assert kinds == ["HTML", "Image", "HTML", "Image"]
    assert 'data-fits="false"' in shown[0].data and "2.5 is not an integer" in shown[0].data
    assert "out[1, 1] =" in shown[2].data


# ----------------------------------------------------------------------------- legibility on screen
# A browser at 100% zoom shows 96 CSS px per inch (CSS 2.1's reference pixel), so 9 pt is 12 CSS px. Issue 21 asks
# for labels of at least 9 pt at 100% zoom, and for sharp pictures on HiDPI screens (2 image pixels per CSS px).
CSS_PX_PER_INCH = 96
MIN_LABEL_CSS_PX = 9 * CSS_PX_PER_INCH / 72       # 12


def rgb_image(seed=0):
    """A 32x32 RGB uint8 image with the extremes 0 and 255 in the field at (2, 3)."""
    image = np.random.default_rng(seed).integers(0, 256, size=(32, 32, 3)).astype(np.uint8)
    image[2, 3] = (255, 0, 255)
    return image


FIGURES = {
    "1-D": lambda: explorer.conv_figure(7, 3, 2, 1),
    "1-D overhang": lambda: explorer.conv_figure(7, 3, 4, 1),
    "1-D widest": lambda: explorer.conv_figure(16, 7, 1, 3),
    "2-D": lambda: explorer.conv_figure(7, 3, 2, 1, dims=2),
    "2-D overhang": lambda: explorer.conv_figure(7, 3, 4, 1, dims=2),
    "dot product": lambda: explorer.dot_product_figure(4),
    "receptive field": lambda: explorer.receptive_field_figure(rgb_image(), 2, 3, 5),
}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (PNG spec: 8-byte signature, then length, type, width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def shown_texts(fig):
    """Every text a reader sees: ax.text, titles, fig.suptitle (not the tick labels of axes turned off)."""
    texts = [*fig.texts, *(t for ax in fig.axes for t in ax.texts)]
    texts += [ax.title for ax in fig.axes] + ([fig._suptitle] if fig._suptitle else [])
    return [t for t in texts if t.get_visible() and t.get_text()]


@pytest.mark.parametrize("name", FIGURES)
def test_the_notebook_image_is_2x_and_shows_every_label_at_9pt_or_more(name):
    fig = FIGURES[name]()
    image = explorer._png(fig)                      # what explore_* and show_figure display
    width_px, height_px = png_size(image.data)
    md = image._repr_png_()[1]                      # the display size the notebook front end is told
    width_in, height_in = fig.get_size_inches()
    # Sharp on a HiDPI screen: two image pixels per CSS pixel.
    assert (width_px, height_px) == (2 * md["width"], 2 * md["height"])
    # Shown at 96 CSS px per inch, so a font's points are CSS points.
    assert md["width"] == pytest.approx(width_in * CSS_PX_PER_INCH, abs=1)
    assert md["height"] == pytest.approx(height_in * CSS_PX_PER_INCH, abs=1)
    texts = shown_texts(fig)
    assert texts
    small = [(t.get_text(), t.get_fontsize()) for t in texts
             if t.get_fontsize() / 72 * md["width"] / width_in < MIN_LABEL_CSS_PX]
    assert not small, f"below 9 pt at 100% zoom: {small}"


def test_show_figure_displays_the_2x_png(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    explorer.show_figure(explorer.receptive_field_figure(rgb_image(), 0, 0, 3))
    (image,) = shown
    assert png_size(image.data)[0] == 2 * image._repr_png_()[1]["width"]


def draw(fig):
    """Lay out and draw with Agg (a Figure made without pyplot has a canvas whose draw() does nothing)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return fig


def cell_width_px(ax, x0, x1):
    return abs(ax.transData.transform((x1, 0))[0] - ax.transData.transform((x0, 0))[0])


def test_the_widest_labels_fit_their_cells():
    # 1-D explorer at the sliders' largest input: "x15" inside its one-unit cell.
    fig = draw(explorer.conv_figure(16, 7, 1, 3))
    (ax,) = fig.axes
    labels = [t for t in ax.texts if t.get_text().startswith("x")]
    assert [t.get_text() for t in labels] == [f"x{k}" for k in range(16)]
    assert max(t.get_window_extent().width for t in labels) < cell_width_px(ax, 0, 1)
    # Receptive field: "255" inside its pixel's cell.
    image = np.full((8, 8, 3), 255, dtype=np.uint8)
    fig = draw(explorer.receptive_field_figure(image, 0, 0, 5))
    for ax in fig.axes[2:]:
        assert ax.texts and all(t.get_text() == "255" for t in ax.texts)
        assert max(t.get_window_extent().width for t in ax.texts) < cell_width_px(ax, 0, 1)


def test_receptive_field_figure_writes_the_fields_values():
    image = rgb_image()
    fig = explorer.receptive_field_figure(image, 2, 3, 5)
    for d, ax in enumerate(fig.axes[2:]):
        written = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
        assert len(written) == 25
        for i in range(5):
            for j in range(5):
                v = int(image[2 + i, 3 + j, d])
                assert written[i, j].get_text() == str(v)
                # White on the dark end of the colour map, black on the light end.
                assert written[i, j].get_color() == ("white" if v > 0.6 * 255 else "black")
    assert "5x5x3 = 75 numbers" in fig._suptitle.get_text()


@pytest.mark.parametrize("image, top, left, F, match", [
    (np.zeros((32, 32), np.uint8), 0, 0, 5, r"shape \(H, W, 3\), got \(32, 32\)"),
    (np.zeros((32, 32, 4), np.uint8), 0, 0, 5, r"got \(32, 32, 4\)"),
    (np.zeros((32, 32, 3), np.uint8), 30, 0, 5, "reaches row 34, column 4, outside the 32x32 image"),
    (np.zeros((32, 32, 3), np.uint8), 0, -1, 5, "left"),
    (np.zeros((32, 32, 3), np.uint8), 0, 0, 0, "F"),
], ids=["grey", "rgba", "off-the-bottom", "negative-left", "F0"])
def test_receptive_field_figure_refuses_bad_input(image, top, left, F, match):
    with pytest.raises(ValueError, match=match):
        explorer.receptive_field_figure(image, top, left, F)
