"""Browser pages for the tests: each in a context of its own (viewport, device pixel ratio), closed afterwards."""

from __future__ import annotations

import contextlib

__all__ = ["new_page"]


@contextlib.contextmanager
def new_page(browser, **context_options):
    """A page in a new context (``viewport``, ``device_scale_factor``), with a 30 s default timeout."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()
