"""Notebook 02's explorer and receptive-field figures, legible on a HiDPI laptop screen at 100% zoom.

Run All in JupyterLab, in Chromium with a 1440 x 900 CSS px window at device pixel ratio 2 (a 13-inch
HiDPI laptop) and 100% zoom. For each figure, the ``<img>`` element's screenshot is read pixel by pixel:
the ink height of its labels and numbers, converted to a font size (see ``glyphs``), must be at least
9 pt (12 CSS px), and the PNG must have two image pixels per CSS pixel, so that the HiDPI screen shows it
without upscaling (sharp). The measurements go to ``legibility.json`` beside the screenshots.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from glyphs import CSS_PX_PER_PT, em_from_ink, ink_height, read_png, text_boxes
from pages import new_page
from test_jupyterlab import cell_containing, open_notebook, run_all_cells, tracebacks, wait_idle

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]
DPR = 2
MIN_PT = 9
NUMBER = re.compile(r"-?\d+")


@pytest.fixture
def hidpi_page(browser):
    with new_page(browser, viewport={"width": 1440, "height": 900}, device_scale_factor=DPR) as page:
        yield page


def horse_image():
    """The image notebook 02 takes its receptive field from: the first horse of the training set."""
    from cs231n_cnn.data import class_names, load_CIFAR10

    X, y, _, _ = load_CIFAR10(REPO / "data", dtype=np.uint8)
    return X[int(np.flatnonzero(y == class_names.index("horse"))[0])]


def figures():
    """(name, text the cell's source contains, the figure its first image shows, which texts to measure)."""
    from cs231n_cnn import explorer

    yield ("explorer labels", "explore_conv(", explorer.conv_figure(7, 3, 2, 1),
           lambda s: re.fullmatch(r"out\[\d+\]|x\d+", s))
    yield ("dot-product values", "explore_dot_product(", explorer.dot_product_figure(0), NUMBER.fullmatch)
    yield ("receptive-field values", "receptive_field_figure(", explorer.receptive_field_figure(horse_image(), 9, 12, 5),
           NUMBER.fullmatch)


def accept_kernel_dialog(page, wait_ms=0):
    """On a loaded machine JupyterLab may ask which kernel to start (it has not listed them yet): take its choice."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    try:
        dialog.wait_for(state="visible", timeout=wait_ms or 1)
    except PlaywrightTimeout:       # no dialog
        return
    dialog.locator("button", has_text="Select").click()
    dialog.wait_for(state="detached")
    wait_idle(page)


def measure(img, fig, keep) -> dict:
    """Screenshot ``img`` and measure every text of ``fig`` that ``keep`` accepts: ink (CSS px) and em (pt)."""
    shot = read_png(img.screenshot())
    sizes = img.evaluate("i => [i.naturalWidth, i.naturalHeight, i.clientWidth, i.clientHeight]")
    labels = []
    for text, family, box in text_boxes(fig, keep):
        ink = ink_height(shot, box, margin_px=1.5 * DPR) / DPR
        em = em_from_ink(ink, text, family)
        labels.append({"text": text, "ink_css_px": ink, "em_css_px": round(em, 2), "pt": round(em / CSS_PX_PER_PT, 2)})
    return {"natural_px": sizes[:2], "css_px": sizes[2:], "labels": labels}


def test_explorer_and_receptive_field_labels_are_at_least_9pt(course_lab, hidpi_page, screenshot_dir):
    page = hidpi_page
    open_notebook(page, course_lab)
    accept_kernel_dialog(page, wait_ms=3000)
    run_all_cells(page)
    accept_kernel_dialog(page)
    assert tracebacks(page) == []
    results = {}
    for name, marker, fig, keep in figures():
        cell = cell_containing(page, marker)
        img = cell.locator(".jp-OutputArea-output img").first
        img.scroll_into_view_if_needed()
        slug = name.replace(" ", "-")
        cell.screenshot(path=str(screenshot_dir / f"course-02-legibility-{slug}.png"))
        results[name] = measure(img, fig, keep)
    (screenshot_dir / "legibility.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({name: {"natural_px": r["natural_px"], "css_px": r["css_px"],
                             "min_pt": min(lab["pt"] for lab in r["labels"]),
                             "min_ink_css_px": min(lab["ink_css_px"] for lab in r["labels"])}
                      for name, r in results.items()}, indent=1))

    for name, r in results.items():
        assert len(r["labels"]) >= 4, (name, r["labels"])
        # Sharp: one image pixel per device pixel (a 1x PNG would be upscaled 2x on this screen).
        assert r["natural_px"][0] == DPR * r["css_px"][0], (name, r["natural_px"], r["css_px"])
        small = [lab for lab in r["labels"] if lab["pt"] < MIN_PT]
        assert not small, f"{name}: below {MIN_PT} pt at 100% zoom: {small}"


@pytest.mark.parametrize("pt", [6, 9, 12])
@pytest.mark.parametrize("text", ["out[3]", "x15", "255", "-1"])
def test_the_measurement_recovers_a_known_font_size(text, pt):
    """The instrument itself, without a browser: a text drawn at ``pt`` on a 2x PNG is measured as ``pt``."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=96)
    fig.text(0.5, 0.5, text, fontsize=pt, ha="center", va="center")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96 * DPR)
    ((_, family, box),) = text_boxes(fig, lambda s: True)
    ink = ink_height(read_png(buf.getvalue()), box, margin_px=1.5 * DPR) / DPR
    # Good to 1.5 device px of ink (anti-aliased edge rows, and the hinter snaps glyph heights to whole pixels:
    # 12 pt digits are 24.2 px at 192 dpi, drawn 23); digits are 0.73 em tall.
    assert em_from_ink(ink, text, family) / CSS_PX_PER_PT == pytest.approx(pt, abs=1.5 / DPR / CSS_PX_PER_PT / 0.73)
