"""How tall a figure's text is on screen, read from the pixels of a browser screenshot.

A label's font size on screen is measured, not computed from the figure's settings:

1. ``text_boxes`` draws the same figure with matplotlib (Agg) and returns where each chosen label lies, as
   fractions of the saved image's width and height. That only finds the label; it measures nothing.
2. ``ink_height`` crops that box (plus a small margin) out of the screenshot of the ``<img>`` element, takes
   the crop's most common colour as the background, and counts the pixel rows holding "ink": a pixel at
   least half as far from the background as the crop's most different pixel (anti-aliased glyph edges
   count when at least half covered). Rows from the first to the last inked row, divided by the
   screenshot's device pixel ratio, give the ink height in CSS px.
3. ``em_from_ink`` divides by the string's ink height per em in its font (``TextPath`` at size 1: DejaVu
   Sans digits are 0.729 em tall, "out[0]" 0.89 em with its brackets), so the result is the rendered font
   size (em) in CSS px. At 100% zoom a browser shows 96 CSS px per inch, so 9 pt is 12 CSS px.

Why the em and not the ink: "9 pt" is a font size, the em; the ink of "x0" at 9 pt is only 8.75 px tall,
that of "out[0]" 10.7 px. The measurement is good to about 1.5 device pixels of ink: the anti-aliased edge
rows, and matplotlib's hinter, which snaps glyph heights to whole pixels (12 pt digits at 192 dpi are 24.2 px
by the font, 23 rows drawn). ``test_the_measurement_recovers_a_known_font_size`` checks that on 2x PNGs.
"""

from __future__ import annotations

import io

import numpy as np

CSS_PX_PER_PT = 96 / 72


def text_boxes(fig, keep, *, bbox_inches=None) -> list[tuple[str, list, tuple[float, float, float, float]]]:
    """``(text, font family, (left, top, right, bottom))``, the box in fractions of the saved image, for each
    text placed with ``ax.text`` or ``fig.text`` that ``keep(text)`` accepts (not tick labels: an axes
    with ``axis("off")`` keeps them as invisible-in-effect Text objects).

    ``bbox_inches="tight"`` places them in the image the inline backend saves (cropped to the artists, padded
    by ``savefig.pad_inches``); ``None`` in the whole figure, as ``savefig`` without cropping saves it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    dpi = fig.dpi
    if bbox_inches == "tight":
        import matplotlib as mpl

        box = fig.get_tightbbox(renderer).padded(mpl.rcParams["savefig.pad_inches"])
        x0, y0, w, h = box.x0 * dpi, box.y0 * dpi, box.width * dpi, box.height * dpi
    else:
        x0, y0 = 0.0, 0.0
        w, h = fig.bbox.width, fig.bbox.height
    found = []
    for t in [*fig.texts, *(t for ax in fig.axes for t in ax.texts)]:
        if not t.get_visible() or not t.get_text() or not keep(t.get_text()):
            continue
        e = t.get_window_extent(renderer)
        found.append((t.get_text(), t.get_fontfamily(), ((e.x0 - x0) / w, 1 - (e.y1 - y0) / h, (e.x1 - x0) / w, 1 - (e.y0 - y0) / h)))
    return found


def read_png(data: bytes) -> np.ndarray:
    """PNG bytes as an (H, W, 3) float array in 0..1."""
    from matplotlib.image import imread

    return imread(io.BytesIO(data), format="png")[..., :3]


def ink_height(shot: np.ndarray, box, *, margin_px: float) -> int:
    """Rows of ink (device px) inside ``box`` (fractions of ``shot``) grown by ``margin_px`` device px on each side."""
    H, W, _ = shot.shape
    left, top, right, bottom = box
    r0, r1 = max(int(np.floor(top * H - margin_px)), 0), min(int(np.ceil(bottom * H + margin_px)), H)
    c0, c1 = max(int(np.floor(left * W - margin_px)), 0), min(int(np.ceil(right * W + margin_px)), W)
    crop = shot[r0:r1, c0:c1]
    colours, counts = np.unique(np.round(crop.reshape(-1, 3) * 255), axis=0, return_counts=True)
    background = colours[counts.argmax()] / 255
    distance = np.abs(crop - background).max(axis=2)
    if distance.max() == 0:
        return 0
    rows = np.flatnonzero((distance >= 0.5 * distance.max()).any(axis=1))
    return int(rows[-1] - rows[0] + 1)


def ink_per_em(text: str, family) -> float:
    """Height of ``text``'s ink in ems of its font (the glyph outlines' extent at font size 1)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    return float(TextPath((0, 0), text, size=1, prop=FontProperties(family=family)).get_extents().height)


def em_from_ink(ink_css_px: float, text: str, family) -> float:
    """The font size in CSS px that gives ``text`` an ink height of ``ink_css_px``."""
    return ink_css_px / ink_per_em(text, family)
