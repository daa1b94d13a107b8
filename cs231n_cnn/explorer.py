"""Interactive pictures of a convolution: window sizes, padding, stride, and one dot product at a time.

:func:`explore_conv` draws an input of size ``W`` (1-D, or ``W x W``) with
``P`` zeros of padding on each side and every position of an ``F``-wide
window sliding with stride ``S``, next to the output size
``(W - F + 2P)/S + 1``. That number comes from :func:`cs231n_cnn.shapes.output_size`,
the rule the layers use: when the windows do not tile the padded input, the
explorer shows the same error a layer would raise, in red, fraction included.

:func:`explore_dot_product` steps one 3x3x3 filter over a 5x5x3 volume (pad 1,
stride 2, the demo of later versions of the notes) and writes out the 27 products and the bias that
make each output number.

With ipywidgets both get sliders; the pictures are ordinary ``image/png``
outputs updated in place (IPython display handles), so a notebook saved
after a run, or a Jupyter without the widget extension, still shows the
figure. ``interactive=False``, or ipywidgets missing, or the environment
variable ``CS231N_STATIC_WIDGETS=1``, draws the static figure only.

The drawing functions return :class:`matplotlib.figure.Figure` objects built
without pyplot, like :mod:`cs231n_cnn.vis`; the geometry
(:func:`window_starts`, :func:`fit_report`, :func:`dot_product_at`) is pure
and tested on its own.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .screenfig import SCREEN_DPI, png_2x
from .shapes import check_int, output_size

__all__ = [
    "FitReport",
    "DotProduct",
    "window_starts",
    "fit_report",
    "demo_volume",
    "dot_product_at",
    "conv_figure",
    "dot_product_figure",
    "receptive_field_figure",
    "show_figure",
    "widgets_enabled",
    "explore_conv",
    "explore_dot_product",
    "LABEL_PT",
    "TITLE_PT",
]

STATIC_ENV = "CS231N_STATIC_WIDGETS"
_RED = "#c62828"
_GREEN = "#2e7d32"
_PAD_GREY = "#d9d9d9"

# Shown at SCREEN_DPI (96) CSS px per inch, 9 pt is 12 CSS px. At the 80 dpi these figures had, a 7 pt label
# was 7.8 px (5.8 pt) on screen.
LABEL_PT = 10        # numbers in cells, row labels: the issue asks for at least 9 pt at 100% zoom
TITLE_PT = 11
# The 1-D explorer's cells: room for its widest label, "x15" at LABEL_PT (1.8 em, 0.25 in), and at the
# sliders' largest input (W=16, P=3, F=7) a figure 8.8 in (845 CSS px) wide, which fits beside a sidebar.
_CELL_IN = 0.32


# ----------------------------------------------------------------------------- geometry (pure)

@dataclass(frozen=True)
class FitReport:
    """Whether an ``F``-window with stride ``S`` tiles an input of size ``W`` padded by ``P``.

    ``size`` is the output size (``None`` when the windows do not tile);
    ``text`` the formula with the numbers, or the layer's error message.
    """

    fits: bool
    size: int | None
    text: str


def fit_report(W: int, F: int, S: int, P: int) -> FitReport:
    """The output size ``(W - F + 2P)/S + 1`` per :func:`~cs231n_cnn.shapes.output_size`, as text.

    Examples
    --------
    >>> fit_report(7, 3, 2, 1).text
    'W_out = (W - F + 2P)/S + 1 = (7 - 3 + 2*1)/2 + 1 = 4'
    >>> fit_report(7, 3, 4, 1).fits
    False
    """
    try:
        size = output_size(W, F, S, P, layer="conv")
    except ValueError as err:          # also ArgumentTypeError; the message has the numbers and the fraction
        return FitReport(False, None, str(err))
    return FitReport(True, size, f"W_out = (W - F + 2P)/S + 1 = ({W} - {F} + 2*{P})/{S} + 1 = {size}")


def window_starts(W: int, F: int, S: int, P: int) -> tuple[list[int], int | None]:
    """Where the windows start, in padded coordinates (0 is the first padding cell).

    Returns ``(starts, overhang)``: the starts of the windows that lie inside
    the padded input (length ``W + 2P``), and the start of the next window
    when it would hang over the edge (the windows do not tile), else ``None``.
    When ``F > W + 2P`` no window fits and ``overhang`` is 0.
    """
    W = check_int(W, "W", minimum=1, layer="explorer")
    F = check_int(F, "F", minimum=1, layer="explorer")
    S = check_int(S, "S", minimum=1, layer="explorer")
    P = check_int(P, "P", minimum=0, layer="explorer")
    last = W + 2 * P - F                # the last start that keeps the window inside
    if last < 0:
        return [], 0
    starts = list(range(0, last + 1, S))
    overhang = starts[-1] + S if starts[-1] != last else None
    return starts, overhang


@dataclass(frozen=True)
class DotProduct:
    """One output number of a convolution and what made it.

    ``patch`` (C, HH, WW) is the window of the padded input; ``products``
    (C, HH, WW) are ``patch * w``; ``per_channel`` (C,) their sums per depth
    slice; ``value = per_channel.sum() + bias``. ``row``/``col`` are the
    window's top-left corner in the padded input.
    """

    patch: np.ndarray
    products: np.ndarray
    per_channel: np.ndarray
    bias: float
    value: float
    row: int
    col: int


def demo_volume(seed: int = 3) -> tuple[np.ndarray, np.ndarray, float]:
    """The later notes' demo: a 5x5x3 input (C, H, W) = (3, 5, 5) of integers 0..2, a 3x3x3 filter of -1..1, bias 1."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(3, 5, 5)).astype(np.float64)
    w = rng.integers(-1, 2, size=(3, 3, 3)).astype(np.float64)
    return x, w, 1.0


def dot_product_at(x: np.ndarray, w: np.ndarray, b: float, i: int, j: int, *, stride: int, pad: int) -> DotProduct:
    """Output ``(i, j)`` of sliding filter ``w`` (C, HH, WW) over ``x`` (C, H, W) zero-padded by ``pad``.

    Computed as the notes describe it: one dot product between the filter and
    the window at rows ``i*stride ...``, columns ``j*stride ...`` of the padded input.
    """
    C, H, W = x.shape
    _, HH, WW = w.shape
    H_out = output_size(H, HH, stride, pad, axis="height", layer="conv")
    W_out = output_size(W, WW, stride, pad, axis="width", layer="conv")
    if not (0 <= i < H_out and 0 <= j < W_out):
        raise ValueError(f"explorer: output position ({i}, {j}) is outside the {H_out}x{W_out} output")
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    r, c = i * stride, j * stride
    patch = padded[:, r:r + HH, c:c + WW]
    products = patch * w
    per_channel = products.sum(axis=(1, 2))
    return DotProduct(patch, products, per_channel, float(b), float(per_channel.sum() + b), r, c)


# ----------------------------------------------------------------------------- figures

def conv_figure(W: int, F: int, S: int, P: int, *, dims: int = 1) -> Figure:
    """Draw the padded input, every window position and the output size.

    ``dims=1``: one row per window under the input. ``dims=2``: the padded
    ``W x W`` grid with every window outlined, and the output grid beside it.
    A window that hangs over the edge is drawn dashed in red, and so is the title.
    """
    starts, overhang = window_starts(W, F, S, P)
    report = fit_report(W, F, S, P)
    n = W + 2 * P
    colours = _colours(len(starts))
    title = f"W={W}, F={F}, S={S}, P={P}:  " + (f"output size {report.size}" if report.fits
                                                 else "the windows do not tile the padded input")
    if dims == 1:
        rows = len(starts) + (overhang is not None)
        x_lim = (-2.5, max(n, (overhang or 0) + F) + 3)      # room for "out[k]" on the left, "hangs over" right
        y_lim = (-rows - 0.3, 1.0)
        fig, ax = _cell_axes(x_lim, y_lim)
        for k in range(n):
            pad_cell = k < P or k >= P + W
            ax.add_patch(Rectangle((k, 0), 1, 0.8, facecolor=_PAD_GREY if pad_cell else "white", edgecolor="black"))
            ax.text(k + 0.5, 0.4, "0" if pad_cell else f"x{k - P}", ha="center", va="center", fontsize=LABEL_PT)
        for row, (s, colour) in enumerate(zip(starts, colours), start=1):
            ax.add_patch(Rectangle((s + 0.05, -row), F - 0.1, 0.7, facecolor=colour, alpha=0.8))
            ax.text(s - 0.2, -row + 0.35, f"out[{row - 1}]", ha="right", va="center", fontsize=LABEL_PT)
        if overhang is not None:
            row = len(starts) + 1
            ax.add_patch(Rectangle((overhang + 0.05, -row), F - 0.1, 0.7, facecolor="none", edgecolor=_RED,
                                   linestyle="--", linewidth=1.5))
            ax.text(overhang + F + 0.2, -row + 0.35, "hangs over", color=_RED, va="center", fontsize=LABEL_PT)
    else:
        fig = _screen_figure(7.5, 4)
        ax, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        for r in range(n):
            for c in range(n):
                pad_cell = min(r, c) < P or max(r, c) >= P + W
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=_PAD_GREY if pad_cell else "white",
                                       edgecolor="#999999", linewidth=0.5))
        k = 0
        for sr in starts:
            for sc in starts:
                inset = 0.08 + 0.12 * (k % 3)
                ax.add_patch(Rectangle((sc + inset, sr + inset), F - 2 * inset, F - 2 * inset, facecolor="none",
                                       edgecolor=colours[k % len(colours)], linewidth=1.6))
                k += 1
        if overhang is not None:
            for s in starts:
                for sr, sc in ((s, overhang), (overhang, s)):
                    ax.add_patch(Rectangle((sc, sr), F, F, facecolor="none", edgecolor=_RED, linestyle="--"))
        extent = max(n, (overhang or 0) + F)
        ax.set_xlim(-0.5, extent + 0.5)
        ax.set_ylim(extent + 0.5, -0.5)
        ax.set_title(f"input {W}x{W} padded to {n}x{n}", fontsize=LABEL_PT)
        if report.fits:
            m = report.size
            for r in range(m):
                for c in range(m):
                    ax_out.add_patch(Rectangle((c, r), 1, 1, facecolor=colours[(r * m + c) % len(colours)],
                                               alpha=0.8, edgecolor="black"))
            ax_out.set_xlim(-0.5, max(m, 3) + 0.5)
            ax_out.set_ylim(max(m, 3) + 0.5, -0.5)
            ax_out.set_title(f"output {m}x{m}", fontsize=LABEL_PT)
        else:
            ax_out.text(0.5, 0.5, "no output:\nthe layer raises\na ValueError", color=_RED, ha="center",
                        va="center", transform=ax_out.transAxes, fontsize=LABEL_PT)
        ax_out.set_aspect("equal")
        ax_out.axis("off")
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle(title, color=_GREEN if report.fits else _RED, fontsize=TITLE_PT)
    return fig


def dot_product_figure(position: int = 0, *, seed: int = 3) -> Figure:
    """The demo volume, padded, with the window of output ``position`` (row-major in the 3x3 output) marked.

    Top row: the three depth slices of the padded input and the output so far;
    bottom row: the three filter slices and the sum that makes the marked output.
    """
    x, w, b = demo_volume(seed)
    stride, pad = 2, 1
    H_out = output_size(x.shape[1], w.shape[1], stride, pad, layer="conv")
    i, j = divmod(position, H_out)
    dp = dot_product_at(x, w, b, i, j, stride=stride, pad=pad)
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    fig = _screen_figure(8, 4.2, layout="constrained")
    axes = fig.subplots(2, 4, gridspec_kw={"width_ratios": [7, 7, 7, 5]})
    for d in range(3):
        _grid(axes[0, d], padded[d], pad=pad, title=f"x[:, :, {d}] (padded)")
        axes[0, d].add_patch(Rectangle((dp.col - 0.5, dp.row - 0.5), 3, 3, facecolor="none", edgecolor=_RED,
                                       linewidth=2.5))
        _grid(axes[1, d], w[d], title=f"w0[:, :, {d}]  sum = {dp.per_channel[d]:g}")
    out = np.full((H_out, H_out), np.nan)
    for k in range(position + 1):
        r, c = divmod(k, H_out)
        out[r, c] = dot_product_at(x, w, b, r, c, stride=stride, pad=pad).value
    _grid(axes[0, 3], out, title="output o[:, :, 0]")
    axes[0, 3].add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="none", edgecolor=_RED, linewidth=2.5))
    axes[1, 3].axis("off")
    axes[1, 3].text(0, 0.5, " + ".join(f"{v:g}" for v in dp.per_channel) + f"\n+ b ({b:g})\n= {dp.value:g}",
                    fontsize=TITLE_PT, va="center", transform=axes[1, 3].transAxes)
    fig.suptitle(f"output [{i}, {j}]: window at rows {dp.row}..{dp.row + 2}, columns {dp.col}..{dp.col + 2} "
                 f"of the padded input (stride 2)", fontsize=TITLE_PT)
    return fig


def _grid(ax, values: np.ndarray, *, pad: int = 0, title: str = "") -> None:
    """A small matrix drawn as numbered cells; the ``pad`` outer rings grey, NaN cells blank."""
    n_rows, n_cols = values.shape
    for r in range(n_rows):
        for c in range(n_cols):
            pad_cell = pad and (min(r, c) < pad or r >= n_rows - pad or c >= n_cols - pad)
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=_PAD_GREY if pad_cell else "white",
                                   edgecolor="#999999", linewidth=0.5))
            if not np.isnan(values[r, c]):
                ax.text(c, r, f"{values[r, c]:g}", ha="center", va="center", fontsize=LABEL_PT)
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=LABEL_PT)


def _screen_figure(width_in: float, height_in: float, **kwargs) -> Figure:
    """A Figure at SCREEN_DPI, its size rounded to whole CSS pixels (so its 2x PNG is exactly twice that)."""
    return Figure(figsize=(round(width_in * SCREEN_DPI) / SCREEN_DPI, round(height_in * SCREEN_DPI) / SCREEN_DPI),
                  dpi=SCREEN_DPI, **kwargs)


def _cell_axes(x_lim: tuple[float, float], y_lim: tuple[float, float]):
    """A figure whose one axes shows ``x_lim`` x ``y_lim`` data units at ``_CELL_IN`` inches per unit.

    Sized from the data instead of fixed inches, so a cell keeps room for its label at any slider setting;
    at least 6 inches wide for the title. Returns ``(fig, ax)``, the axes centred, the title above it.
    """
    width, height = (x_lim[1] - x_lim[0]) * _CELL_IN, (y_lim[1] - y_lim[0]) * _CELL_IN
    title_in, margin_in = 0.45, 0.1
    fig_w, fig_h = max(width + 2 * margin_in, 6.0), height + title_in + margin_in
    fig = _screen_figure(fig_w, fig_h)
    fig_w, fig_h = fig.get_size_inches()
    ax = fig.add_axes(((fig_w - width) / 2 / fig_w, margin_in / fig_h, width / fig_w, height / fig_h))
    ax.set_xlim(*x_lim)
    ax.set_ylim(*y_lim)
    return fig, ax


def receptive_field_figure(image: np.ndarray, top: int, left: int, F: int) -> Figure:
    """One ``F x F`` receptive field of an RGB image, and the ``F x F x 3`` numbers a neuron there sees.

    Panels: the image with the field outlined, the field enlarged, and its three depth slices (red, green,
    blue) with every value written in its cell.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3)
        Channels last, ``uint8`` (0..255) or float (0..1), as ``load_CIFAR10(dtype=np.uint8)`` gives.
    top, left : int
        Row and column of the field's top-left pixel.
    F : int
        The field's side; the field must lie inside the image.
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"receptive_field_figure: image must be an RGB array of shape (H, W, 3), "
                         f"got {getattr(image, 'shape', type(image).__name__)}")
    H, W, _ = image.shape
    top = check_int(top, "top", minimum=0, layer="explorer")
    left = check_int(left, "left", minimum=0, layer="explorer")
    F = check_int(F, "F", minimum=1, layer="explorer")
    if top + F > H or left + F > W:
        raise ValueError(f"receptive_field_figure: a {F}x{F} field at (top={top}, left={left}) reaches row "
                         f"{top + F - 1}, column {left + F - 1}, outside the {H}x{W} image; move it or make F smaller")
    integer = image.dtype.kind in "iu"
    high = 255 if integer else 1.0
    patch = image[top:top + F, left:left + F, :]
    # The slices get 0.33 in per cell, room for "255" at LABEL_PT; the image and the patch need less.
    side = max(0.33 * F, 1.2)
    fig = _screen_figure(2 * 1.3 + 3 * side + 0.6, side + 0.9, layout="constrained")
    axes = fig.subplots(1, 5, gridspec_kw={"width_ratios": [1.3, 1.3, side, side, side]})
    axes[0].imshow(image, interpolation="nearest")
    axes[0].add_patch(Rectangle((left - 0.5, top - 0.5), F, F, fill=False, ec="yellow", lw=2))
    axes[0].set_title(f"image, {F}x{F} field", fontsize=LABEL_PT)
    axes[1].imshow(patch, interpolation="nearest")
    axes[1].set_title(f"patch {F}x{F}x3", fontsize=LABEL_PT)
    for d, (ax, name, cmap) in enumerate(zip(axes[2:], ("red", "green", "blue"), ("Reds", "Greens", "Blues"))):
        ax.imshow(patch[:, :, d], cmap=cmap, vmin=0, vmax=high, interpolation="nearest")
        for (i, j), v in np.ndenumerate(patch[:, :, d]):
            # White on the dark end of the colour map, black on the light end.
            ax.text(j, i, str(v) if integer else f"{v:.2f}", ha="center", va="center", fontsize=LABEL_PT,
                    color="white" if v > 0.6 * high else "black")
        ax.set_title(f"depth {d} ({name})", fontsize=LABEL_PT)
    for ax in axes:
        ax.set_axis_off()
    fig.suptitle(f"one receptive field: {F}x{F}x3 = {patch.size} numbers", fontsize=TITLE_PT)
    return fig


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    palette = [cmap(k) for k in (0, 1, 2, 4, 5, 6, 8, 9)]      # no red (3) or grey (7): they mean overhang, padding
    return [palette[k % len(palette)] for k in range(max(n, 1))]


# ----------------------------------------------------------------------------- notebook display

def widgets_enabled(interactive: bool | None = None) -> bool:
    """Sliders or not: ``interactive`` if given, else ipywidgets importable and ``CS231N_STATIC_WIDGETS`` not 1."""
    if interactive is not None:
        return bool(interactive)
    if os.environ.get(STATIC_ENV) == "1":
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def _png(fig: Figure):
    """``fig`` as a 2x PNG (:func:`~cs231n_cnn.screenfig.png_2x`) tagged to show at SCREEN_DPI CSS px per inch.

    Whatever the notebook's ``figure.dpi`` or ``InlineBackend.figure_formats``; the whole figure, not cropped.
    """
    from IPython.display import Image

    data, size = png_2x(fig, dpi=SCREEN_DPI)
    return Image(data=data, format="png", **size)


def show_figure(fig: Figure) -> None:
    """Display a figure of this module in a notebook: sharp (2x), at 96 CSS px per inch, labels >= 9 pt."""
    from IPython.display import display

    display(_png(fig))


def _formula_html(report: FitReport):
    from IPython.display import HTML

    colour = _GREEN if report.fits else _RED
    return HTML(f'<div class="cs231n-explorer-formula" data-fits="{str(report.fits).lower()}" '
                f'style="color: {colour}; font-family: monospace">{html.escape(report.text)}</div>')


def _dot_product_html(position: int, seed: int):
    from IPython.display import HTML

    x, w, b = demo_volume(seed)
    i, j = divmod(position, 3)
    dp = dot_product_at(x, w, b, i, j, stride=2, pad=1)
    lines = [f"channel {d}: " + " + ".join(f"{p:g}*{_signed(q)}" for p, q in zip(dp.patch[d].ravel(), w[d].ravel()))
             + f" = {dp.per_channel[d]:g}" for d in range(3)]
    lines.append(f"out[{i}, {j}] = {' + '.join(f'{v:g}' for v in dp.per_channel)} + b ({b:g}) = {dp.value:g}")
    return HTML('<pre class="cs231n-explorer-dot">' + html.escape("\n".join(lines)) + "</pre>")


def _signed(v: float) -> str:
    return f"({v:g})" if v < 0 else f"{v:g}"


def explore_conv(W: int = 7, F: int = 3, S: int = 2, P: int = 1, *, dims: int = 1,
                 interactive: bool | None = None) -> None:
    """Show :func:`conv_figure` and the output-size formula, with sliders for W, F, S, P when widgets are enabled.

    Parameters
    ----------
    W, F, S, P : int
        Input size, window size, stride and zero-padding to start from.
    dims : {1, 2}
        Draw a 1-D input or a ``W x W`` one (a toggle when interactive).
    interactive : bool or None
        ``None``: sliders if :func:`widgets_enabled`; ``False``: the static figure only.
    """
    from IPython.display import display

    if widgets_enabled(interactive):
        import ipywidgets as widgets

        sliders = {name: widgets.IntSlider(value=value, min=low, max=high, description=name,
                                           continuous_update=False)
                   for name, value, low, high in (("W", W, 1, 16), ("F", F, 1, 7), ("S", S, 1, 5), ("P", P, 0, 3))}
        for name, slider in sliders.items():
            slider.add_class(f"cs231n-explorer-{name}")
        view = widgets.ToggleButtons(options=[("1-D", 1), ("2-D", 2)], value=dims, description="input")

        def redraw(_change):
            v = {name: s.value for name, s in sliders.items()}
            formula.update(_formula_html(fit_report(**v)))
            picture.update(_png(conv_figure(**v, dims=view.value)))

        for control in (*sliders.values(), view):
            control.observe(redraw, names="value")
        display(widgets.VBox([widgets.HBox([sliders["W"], sliders["F"]]),
                              widgets.HBox([sliders["S"], sliders["P"]]), view]))
    formula = display(_formula_html(fit_report(W, F, S, P)), display_id=True)
    picture = display(_png(conv_figure(W, F, S, P, dims=dims)), display_id=True)


def explore_dot_product(position: int = 0, *, seed: int = 3, interactive: bool | None = None) -> None:
    """Show :func:`dot_product_figure` and the 27 products of one output, with a slider over the 9 outputs."""
    from IPython.display import display

    check_int(position, "position", minimum=0, layer="explorer")
    if widgets_enabled(interactive):
        import ipywidgets as widgets

        slider = widgets.IntSlider(value=position, min=0, max=8, description="output", continuous_update=False)
        slider.add_class("cs231n-explorer-position")

        def redraw(change):
            products.update(_dot_product_html(change["new"], seed))
            picture.update(_png(dot_product_figure(change["new"], seed=seed)))

        slider.observe(redraw, names="value")
        display(slider)
    products = display(_dot_product_html(position, seed), display_id=True)
    picture = display(_png(dot_product_figure(position, seed=seed)), display_id=True)
