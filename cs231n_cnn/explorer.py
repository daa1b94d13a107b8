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
import io
import os
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

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
    "widgets_enabled",
    "explore_conv",
    "explore_dot_product",
]

STATIC_ENV = "CS231N_STATIC_WIDGETS"
_RED = "#c62828"
_GREEN = "#2e7d32"
_PAD_GREY = "#d9d9d9"


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
        fig = Figure(figsize=(6, 1.0 + 0.28 * rows), dpi=80)
        ax = fig.add_subplot()
        for k in range(n):
            pad_cell = k < P or k >= P + W
            ax.add_patch(Rectangle((k, 0), 1, 0.8, facecolor=_PAD_GREY if pad_cell else "white", edgecolor="black"))
            ax.text(k + 0.5, 0.4, "0" if pad_cell else f"x{k - P}", ha="center", va="center", fontsize=7)
        for row, (s, colour) in enumerate(zip(starts, colours), start=1):
            ax.add_patch(Rectangle((s + 0.05, -row), F - 0.1, 0.7, facecolor=colour, alpha=0.8))
            ax.text(s - 0.2, -row + 0.35, f"out[{row - 1}]", ha="right", va="center", fontsize=7)
        if overhang is not None:
            row = len(starts) + 1
            ax.add_patch(Rectangle((overhang + 0.05, -row), F - 0.1, 0.7, facecolor="none", edgecolor=_RED,
                                   linestyle="--", linewidth=1.5))
            ax.text(overhang + F + 0.2, -row + 0.35, "hangs over", color=_RED, va="center", fontsize=7)
        ax.set_xlim(-2.5, max(n, (overhang or 0) + F) + 3)
        ax.set_ylim(-rows - 0.3, 1.0)
    else:
        fig = Figure(figsize=(7.5, 4), dpi=80)
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
        ax.set_title(f"input {W}x{W} padded to {n}x{n}", fontsize=9)
        if report.fits:
            m = report.size
            for r in range(m):
                for c in range(m):
                    ax_out.add_patch(Rectangle((c, r), 1, 1, facecolor=colours[(r * m + c) % len(colours)],
                                               alpha=0.8, edgecolor="black"))
            ax_out.set_xlim(-0.5, max(m, 3) + 0.5)
            ax_out.set_ylim(max(m, 3) + 0.5, -0.5)
            ax_out.set_title(f"output {m}x{m}", fontsize=9)
        else:
            ax_out.text(0.5, 0.5, "no output:\nthe layer raises\na ValueError", color=_RED, ha="center",
                        va="center", transform=ax_out.transAxes)
        ax_out.set_aspect("equal")
        ax_out.axis("off")
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle(title, color=_GREEN if report.fits else _RED, fontsize=10)
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
    fig = Figure(figsize=(9, 4.4), dpi=80)
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
                    fontsize=11, va="center", transform=axes[1, 3].transAxes)
    fig.suptitle(f"output [{i}, {j}]: window at rows {dp.row}..{dp.row + 2}, columns {dp.col}..{dp.col + 2} "
                 f"of the padded input (stride 2)", fontsize=10)
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
                ax.text(c, r, f"{values[r, c]:g}", ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=8)


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
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return Image(data=buf.getvalue(), format="png")


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
