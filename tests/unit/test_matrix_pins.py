"""The matrix's oldest end pins exactly the lower bounds pyproject.toml declares (tests/matrix/oldest.txt)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = (REPO / "pyproject.toml").read_text(encoding="utf-8")
OLDEST = REPO / "tests" / "matrix" / "oldest.txt"
NEWEST = REPO / "tests" / "matrix" / "newest.txt"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _list(key: str) -> list[str]:
    """The quoted requirement strings of the TOML list ``key = [...]`` (comments may sit between them)."""
    block = re.search(rf"^{re.escape(key)}\s*=\s*\[(.*?)^\]", PYPROJECT, re.S | re.M).group(1)
    return re.findall(r'^\s*"([^"]+)"', block, re.M)


def _lower_bounds(requirements: list[str]) -> dict[str, str]:
    bounds = {}
    for req in requirements:
        found = re.match(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", req)
        assert found, f"{req!r} declares no lower bound"
        bounds[_canonical(found.group(1))] = found.group(2)
    return bounds


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"{path.name}: {line!r} is not name==version"
            pins[_canonical(name)] = version.strip()
    return pins


def _same(declared: str, pinned: str) -> bool:
    """``1.26`` and ``1.26.0`` are the same release."""
    a, b = ([int(x) for x in v.split(".")] for v in (declared, pinned))
    width = max(len(a), len(b))
    return a + [0] * (width - len(a)) == b + [0] * (width - len(b))


RUNTIME = _lower_bounds(_list("dependencies"))
DEV = _lower_bounds(_list("dev"))


def test_every_runtime_dependency_and_the_kernel_stack_is_pinned_at_its_lower_bound():
    pins = _pins(OLDEST)
    assert set(RUNTIME) == {"numpy", "scipy", "matplotlib", "tqdm"}
    for name in [*RUNTIME, "ipython", "ipykernel", "jupyter-client"]:
        assert name in pins, f"{OLDEST.name} does not pin {name}"


def test_each_pin_of_the_oldest_end_is_a_declared_lower_bound():
    declared = {**DEV, **RUNTIME}
    for name, pinned in _pins(OLDEST).items():
        assert name in declared, f"{OLDEST.name} pins {name}, which pyproject.toml does not declare"
        assert _same(declared[name], pinned), f"{name}: pyproject.toml says >={declared[name]}, {OLDEST.name} {pinned}"


def test_the_newest_end_pins_every_dependency_and_each_one_above_its_lower_bound():
    pins = _pins(NEWEST)
    for name, bound in {**DEV, **RUNTIME}.items():
        assert name in pins, f"{NEWEST.name} does not pin {name}: run `make update-newest`"
        got = [int(x) for x in re.match(r"[0-9.]*[0-9]", pins[name]).group(0).split(".")]
        assert got >= [int(x) for x in bound.split(".")], f"{name} {pins[name]} is below >={bound}"
