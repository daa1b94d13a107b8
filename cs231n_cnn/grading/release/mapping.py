"""Which notebook teaches which library function, from the notebooks' check cells and what each check calls.

A stubbed function's message names its notebook ("... write it in
cs231n_cnn/layers/conv.py (02_conv_layer.ipynb)"), and the student README lists the functions by
notebook.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

from .errors import ReleaseError
from .notebooks import cell_source, runs_a_check

__all__ = ["functions_checked", "notebook_finder"]

# A dotted name in a string: what a check passes to t.call ("layers.relu_forward").
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def functions_checked(checks: dict) -> dict[str, set[str]]:
    """Check name -> short names of the library functions it calls (``t.call("layers.relu_forward")``).

    ``checks`` maps names to the :class:`~cs231n_cnn.grading.Check` objects
    that :func:`~cs231n_cnn.grading.load_checks` registered; each check's
    function (with its decorator) is read back from its source.
    """
    found: dict[str, set[str]] = {}
    for name, chk in checks.items():
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(chk.func)))
        except (OSError, TypeError, SyntaxError) as exc:
            raise ReleaseError(f"check {name!r}: cannot read the source of {chk.module}.{chk.func.__qualname__} "
                               f"({exc})") from None
        found[name] = {c.value.rsplit(".", 1)[-1] for c in ast.walk(tree)
                       if isinstance(c, ast.Constant) and isinstance(c.value, str) and _DOTTED.fullmatch(c.value)}
    return found


def notebook_finder(notebooks: dict[str, dict], checks: dict):
    """``find(function_name)``: the notebook that teaches a library function, or None.

    A qualified name (``ThreeLayerConvNet.loss``) is looked up by its class first.

    ``notebooks`` maps file names to notebook dicts; ``checks`` is what
    :func:`~cs231n_cnn.grading.load_checks` returns. First the notebook
    running the function's own check (``conv_forward_fast``, or ``avg_pool``
    for ``avg_pool_forward``), else the one running the most checks that call
    it, else the earliest notebook that mentions its name (a function is
    taught where it first appears). Ties go to the earlier notebook.
    """
    calls = functions_checked(checks)
    texts, runs = {}, {}
    for nb_name, nb in sorted(notebooks.items()):
        cells = nb.get("cells", [])
        texts[nb_name] = "\n".join(cell_source(c) for c in cells)
        runs[nb_name] = set()
        for cell in cells:
            src = cell_source(cell)
            if cell.get("cell_type") == "code" and runs_a_check(src):
                runs[nb_name] |= {w for w in re.findall(r"[\"'](\w+)[\"']", src) if w in calls}

    def find(name: str) -> str | None:
        if "." in name:
            # A method (``ThreeLayerConvNet.loss``) is taught where its class is checked; its own short
            # name ("loss", "__init__") says nothing about where.
            owner, short = name.rsplit(".", 1)
            return find(owner.rsplit(".", 1)[-1]) or find(short)
        own = [nb for nb, checks in runs.items()
               if any(name in calls[c] and (name == c or name.startswith(c + "_")) for c in checks)]
        if own:
            return own[0]
        counts = [(sum(name in calls[c] for c in checks), -i, nb) for i, (nb, checks) in enumerate(runs.items())]
        best = max(counts, default=(0, 0, None))
        if best[0]:
            return best[2]
        pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
        return next((nb for nb, text in texts.items() if pattern.search(text)), None)
    return find
