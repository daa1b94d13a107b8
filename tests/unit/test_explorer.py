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
