"""Notebook 02 in a real JupyterLab and a real Chromium, as a learner sees it.

The course's notebook: Run > Run All Cells, then the kernel is idle, every
code cell has run, no cell shows a traceback, the figures are on the page,
every check cell shows its PASS line, and moving the explorer's stride
slider redraws the picture and turns the output-size line red with the
formula's fraction. The student release's notebook: Run All stops at the
first exercise stub (NotImplementedError), and running a check cell shows
its FAIL line.

Run with ``make test-browser``; screenshots land in tests/browser/screenshots/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

NOTEBOOK = "02_conv_layer.ipynb"
RUN_SECONDS = 120
PROMPTS = ".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
EXPLORER_RED = "rgb(198, 40, 40)"         # explorer._RED, #c62828, as the browser reports it


def expect(locator):
    """Playwright's retrying assertions (imported late: the ``browser`` fixture reports a missing Playwright)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def n_check_cells(path) -> int:
    """How many code cells of the notebook file call run_check."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return sum(c["cell_type"] == "code" and "run_check(" in "".join(c["source"]) for c in cells)


def open_notebook(page, lab):
    page.goto(lab.notebook_url(NOTEBOOK))
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for()
    wait_idle(page)


def wait_idle(page, timeout=RUN_SECONDS):
    page.locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        timeout=timeout * 1000)


def menu(page, top, item):
    """Click ``item`` in the menu bar's ``top`` menu, as a person would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def run_all_cells(page):
    """Edit > Clear Outputs of All Cells, Run > Run All Cells, then wait until no cell is queued or running."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function("sel => [...document.querySelectorAll(sel)].every(e => !/[*0-9]/.test(e.textContent))",
                           arg=PROMPTS)
    menu(page, "Run", "Run All Cells")
    # Run All marks every cell it queues at once; wait for that, then for the last one to finish.
    page.wait_for_function("sel => [...document.querySelectorAll(sel)].some(e => /\\[[*0-9]/.test(e.textContent))",
                           arg=PROMPTS)
    page.wait_for_function("sel => ![...document.querySelectorAll(sel)].some(e => e.textContent.includes('*'))",
                           arg=PROMPTS, timeout=RUN_SECONDS * 1000)
    wait_idle(page)


def code_cells(page):
    return page.locator(".jp-NotebookPanel .jp-CodeCell")


def cell_containing(page, text):
    return code_cells(page).filter(has=page.locator(".jp-InputArea", has_text=text))


def output_text(cell) -> str:
    return cell.locator(".jp-OutputArea").inner_text()


def tracebacks(page) -> list[str]:
    return [t for t in page.locator(STDERR).all_inner_texts() if "Traceback" in t]


def set_slider(page, cls, value):
    """Drag an ipywidgets IntSlider's handle to ``value`` with the mouse, then fine-tune with arrow keys."""
    widget = page.locator(f".{cls}")
    track = widget.locator(".noUi-base")
    handle = widget.locator(".noUi-handle")
    readout = widget.locator(".widget-readout")
    low, high = int(handle.get_attribute("aria-valuemin").split(".")[0]), \
        int(handle.get_attribute("aria-valuemax").split(".")[0])
    box, hbox = track.bounding_box(), handle.bounding_box()
    page.mouse.move(hbox["x"] + hbox["width"] / 2, hbox["y"] + hbox["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (value - low) / (high - low), box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    for _ in range(high - low):
        current = int(readout.inner_text())
        if current == value:
            break
        handle.press("ArrowRight" if current < value else "ArrowLeft")
        page.wait_for_timeout(200)
    assert int(readout.inner_text()) == value


def test_course_notebook_runs_clean_in_jupyterlab(course_lab, page, screenshot_dir):
    open_notebook(page, course_lab)
    run_all_cells(page)
    page.screenshot(path=str(screenshot_dir / "course-02-after-run-all.png"))

    prompts = code_cells(page).locator(".jp-InputPrompt").all_inner_texts()
    assert prompts and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts), prompts
    assert tracebacks(page) == []
    images = page.locator(".jp-NotebookPanel .jp-OutputArea-output img")
    assert images.count() >= 5
    assert page.evaluate("imgs => imgs.every(i => i.complete && i.naturalWidth > 0)", images.element_handles())

    checks = cell_containing(page, "run_check(")
    assert checks.count() == n_check_cells(course_lab.notebook_dir / NOTEBOOK) > 0
    for k in range(checks.count()):
        text = output_text(checks.nth(k))
        assert text.startswith("PASS "), text
    checks.first.screenshot(path=str(screenshot_dir / "course-02-check-pass.png"))

    # The explorer: sliders rendered, the formula green with the output size; a stride of 4 does not tile.
    explorer = cell_containing(page, "explore_conv(")
    formula = explorer.locator(".cs231n-explorer-formula")
    picture = explorer.locator(".jp-OutputArea-output img")
    explorer.locator(".widget-slider").nth(3).wait_for()
    assert explorer.locator(".widget-slider").count() == 4
    assert "(7 - 3 + 2*1)/2 + 1 = 4" in formula.inner_text()
    assert formula.evaluate("e => getComputedStyle(e).color") != EXPLORER_RED
    before = picture.get_attribute("src")
    explorer.screenshot(path=str(screenshot_dir / "course-02-explorer.png"))

    set_slider(page, "cs231n-explorer-S", 4)
    expect(formula).to_contain_text("is not an integer", timeout=20_000)
    assert "(7 - 3 + 2*1)/4 + 1 = 2.5 is not an integer" in formula.inner_text()
    assert formula.evaluate("e => getComputedStyle(e).color") == EXPLORER_RED
    expect(picture).not_to_have_attribute("src", before, timeout=20_000)
    explorer.screenshot(path=str(screenshot_dir / "course-02-explorer-stride4-red.png"))

    # The dot-product view: the next output position writes out different products.
    dots = cell_containing(page, "explore_dot_product(")
    first = dots.locator(".cs231n-explorer-dot").inner_text()
    dots_picture = dots.locator(".jp-OutputArea-output img")
    before = dots_picture.get_attribute("src")
    set_slider(page, "cs231n-explorer-position", 4)
    expect(dots.locator(".cs231n-explorer-dot")).not_to_have_text(first, timeout=20_000)
    expect(dots_picture).not_to_have_attribute("src", before, timeout=20_000)
    assert "out[1, 1] =" in dots.locator(".cs231n-explorer-dot").inner_text()
    dots.screenshot(path=str(screenshot_dir / "course-02-dot-product.png"))
    assert tracebacks(page) == []
    wait_idle(page)


def test_student_release_runs_all_then_passes_after_an_edit(release_lab, page, screenshot_dir):
    """The learner's loop in the browser: Run All on the untouched release, write a function, run its check again."""
    open_notebook(page, release_lab)
    run_all_cells(page)
    # Run All reaches the end: work not done yet prints one line, never a traceback.
    assert tracebacks(page) == []
    turn = cell_containing(page, "out_volume = params_shared = params_unshared = None")
    assert output_text(turn).strip() == ("Your turn: write `out_volume`, `params_shared` and `params_unshared` "
                                         "in this cell (not implemented yet)")
    turn.screenshot(path=str(screenshot_dir / "student-02-your-turn.png"))
    # The explorer works in the release too (it is teaching material, not an exercise).
    cell_containing(page, "explore_conv(").locator(".cs231n-explorer-formula").wait_for()

    check = cell_containing(page, 'run_check("conv_forward_naive")')
    text = output_text(check)
    assert text.startswith("FAIL conv_forward_naive: [3x3 filters, stride 1, pad 1] not implemented yet (0/4)"), text
    assert "write it in cs231n_cnn/layers/conv.py (02_conv_layer.ipynb)" in text
    check.screenshot(path=str(screenshot_dir / "student-02-check-fail.png"))

    # Save the function, as an editor would (the repository's body in place of the stub's raise line),
    # and run the same cell again in the same kernel.
    conv = release_lab.notebook_dir.parent / "cs231n_cnn" / "layers" / "conv.py"
    solution = (Path(__file__).resolve().parents[2] / "cs231n_cnn" / "layers" / "conv.py").read_text()
    start = solution.index("def conv_forward_naive(")
    body = solution[solution.index("### BEGIN SOLUTION\n", start) + len("### BEGIN SOLUTION\n"):
                    solution.index("### END SOLUTION", start)]
    body = body[:body.rfind("\n") + 1]                 # whole lines: not the END marker's indentation
    released = conv.read_text()
    stub = re.search(r"^ *raise NotImplementedError\(\"conv_forward_naive is not implemented yet[^\n]*\n",
                     released[released.index("def conv_forward_naive("):], re.M).group(0)
    conv.write_text(released.replace(stub, body, 1))
    check.locator(".jp-InputArea").click()
    page.keyboard.press("Shift+Enter")
    expect(check.locator(".jp-OutputArea")).to_have_text("PASS conv_forward_naive 4/4", timeout=60_000)
    wait_idle(page)
    assert tracebacks(page) == []
    check.screenshot(path=str(screenshot_dir / "student-02-check-pass.png"))
