"""Figures for a screen: sharp on HiDPI laptops, text at its size in points, small in a saved notebook.

A browser at 100% zoom shows 96 CSS px per inch (CSS 2.1's reference pixel), so a figure shown at 96 CSS px
per inch has its fonts at their size in CSS points: 9 pt is 12 CSS px. A HiDPI laptop screen has two device
pixels per CSS pixel, and upscales a 1x PNG, blurring it. :func:`png_2x` draws a figure with
:data:`PIXEL_RATIO` (2) image pixels per CSS pixel and returns the size to show it at, as IPython's
``retina`` figures do.

A 2x PNG has four times the pixels of a 1x one. These figures are mostly flat colours with anti-aliased
edges, so :func:`png_2x` stores them with a 256-colour palette when that changes no pixel by more than
:data:`PALETTE_TOLERANCE` (a photo with many colours stays true colour): 2.5-3.5x smaller than true colour,
so a notebook saved with 2x figures stays about the size it had with 1x ones.

:func:`show` displays one figure that way; :func:`use_in_notebook` makes it the way every matplotlib figure
of the notebook is displayed (pyplot's included), honouring each figure's ``dpi`` as the CSS px per inch.
"""

from __future__ import annotations

import io

__all__ = ["SCREEN_DPI", "PIXEL_RATIO", "PALETTE_TOLERANCE", "png_2x", "show", "use_in_notebook"]

SCREEN_DPI = 96          # CSS px per inch at 100% zoom
PIXEL_RATIO = 2          # image px per CSS px: devicePixelRatio of a HiDPI laptop screen
PALETTE_TOLERANCE = 24   # largest change of one colour channel (of 255) the palette may make


def png_2x(fig, *, dpi: float | None = None, bbox_inches=None) -> tuple[bytes, dict]:
    """``fig`` as a PNG of 2 image px per CSS px, and the ``{"width", "height"}`` in CSS px to show it at.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : float or None
        CSS px per inch to show the figure at; ``None`` uses ``fig.dpi`` (as the inline backend does).
    bbox_inches : None or "tight"
        ``"tight"`` crops to the drawn artists (the inline backend's default); ``None`` keeps the whole figure.

    Returns
    -------
    (bytes, dict)
        The PNG (palette or true colour, see the module notes) and its display size in CSS px, half its
        pixel size.
    """
    import numpy as np
    from PIL import Image

    dpi = fig.dpi if dpi is None else dpi
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi * PIXEL_RATIO, bbox_inches=bbox_inches,
                facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    data = buf.getvalue()
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    if width % PIXEL_RATIO or height % PIXEL_RATIO:
        # A cropped ("tight") figure can come out an odd number of pixels; pad it with its own background so
        # the display size is exactly half (a browser would otherwise stretch it by a fraction of a pixel).
        width, height = -(-width // PIXEL_RATIO) * PIXEL_RATIO, -(-height // PIXEL_RATIO) * PIXEL_RATIO
        padded = Image.new(image.mode, (width, height), image.getpixel((0, 0)))
        padded.paste(image, (0, 0))
        image = padded
        out = io.BytesIO()
        image.save(out, format="png")
        data = out.getvalue()
    if image.mode == "RGBA" and image.getextrema()[3][0] == 255:      # opaque: the alpha channel says nothing
        rgb = image.convert("RGB")
        # Max-coverage palette, no dithering: on the explorer's figures at most 17/255 off, where median cut
        # (Pillow's default) is up to 58/255 off on the photo in the receptive-field figure.
        palette = rgb.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
        error = np.abs(np.asarray(palette.convert("RGB"), dtype=np.int16) - np.asarray(rgb, dtype=np.int16)).max()
        out = io.BytesIO()
        if error <= PALETTE_TOLERANCE:
            palette.save(out, format="png", optimize=True)
        else:
            rgb.save(out, format="png", optimize=True)
        if len(out.getvalue()) < len(data):
            data = out.getvalue()
    return data, {"width": width // PIXEL_RATIO, "height": height // PIXEL_RATIO}


def show(fig, *, dpi: float | None = None) -> None:
    """Display ``fig`` in a notebook as :func:`png_2x` draws it (the whole figure, not cropped)."""
    from IPython.display import Image, display

    data, size = png_2x(fig, dpi=dpi)
    display(Image(data=data, format="png", **size))


def use_in_notebook(shell=None) -> None:
    """Display every matplotlib figure of the running IPython session with :func:`png_2x` (cropped, ``"tight"``).

    It replaces the ``image/png`` formatter the inline backend installs (so call it after ``%matplotlib
    inline``); the CSS px per inch is each figure's ``dpi`` (``rcParams["figure.dpi"]``: 96 shows points as
    CSS points). Outside IPython it does nothing.
    """
    from matplotlib.figure import Figure

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return

    def format_png(fig):
        if not fig.axes and not fig.lines:      # an empty figure shows nothing, as in IPython's own formatter
            return None
        return png_2x(fig, bbox_inches="tight")

    shell.display_formatter.formatters["image/png"].for_type(Figure, format_png)
