"""Shared by the ``test_checks_<topic>.py`` files: a check fails where it should.

Each topic file (one per ``checks/<topic>.py``) lists, for its checks:

* ``WRONG``: ``(check, [(owner, attribute, replacement)], why)``, a plausible
  student mistake (a wrong tie rule, an unbiased variance, a missing 1/N, ...);
  the check must not pass;
* ``PLANTED``: ``(id, check, part label, [(owner, attribute, replacement)], text)``,
  a bug from an instructor's planted-bug run; it loses the named part, whose
  message contains the text. Where the bug is a change to the solution,
  :func:`planted` makes it in a copy of the library's own function;
* ``STUBS``: ``(check, (owner, attribute))``: that function raising
  ``NotImplementedError`` scores 0.

and builds its tests with :func:`check_tests`. The in-process student
resolves ``cs231n_cnn.<module>.<name>`` at call time, so patching the module
attribute is exactly what a student's wrong code looks like to it. That the
reference solution scores full marks on every check is
``test_checks_reference.py``.
"""

from __future__ import annotations

import inspect
import textwrap

import pytest

import cs231n_cnn.layers as L
import cs231n_cnn.optim as optim
from cs231n_cnn.grading import load_checks, run_checks

__all__ = ["REAL", "REAL_OPTIM", "planted", "checks_in", "check_tests"]

# The real functions, captured before any test patches them (this module is imported at collection).
REAL = {name: getattr(L, name) for name in dir(L) if not name.startswith("_")}
REAL_OPTIM = {name: getattr(optim, name) for name in ("sgd", "sgd_momentum", "nesterov", "rmsprop", "adam")}


def planted(module, name: str, old: str, new: str, count: int = 1):
    """``module.name`` with the source text ``old`` (found ``count`` times) replaced by ``new`` everywhere."""
    source = textwrap.dedent(inspect.getsource(getattr(module, name)))
    assert source.count(old) == count, f"{old!r} is not {count} time(s) in {module.__name__}.{name}"
    namespace = dict(vars(module))
    exec(compile(source.replace(old, new), f"<{name} with a planted bug>", "exec"), namespace)
    return namespace[name]


def checks_in(topic: str) -> list[str]:
    """The names of the checks defined in ``checks/<topic>.py``."""
    return [c.name for c in load_checks().values() if c.module.endswith("." + topic)]


def _fields(case):
    """(check, patches, why) of a WRONG entry, plain or wrapped in pytest.param."""
    return tuple(case.values) if hasattr(case, "marks") else case


def _run_one(name):
    (result,) = run_checks([name])
    return result


def wrong_implementation_tests(wrong):
    """The test that each WRONG entry makes its check fail (with a FAIL line, not an internal error)."""
    @pytest.mark.parametrize("name, patches, why", wrong, ids=[f"{_fields(c)[0]}-{_fields(c)[2]}" for c in wrong])
    def test_check_fails_on_a_subtly_wrong_implementation(monkeypatch, name, patches, why):
        for target, attr, fake in patches:
            if isinstance(target, dict):
                monkeypatch.setitem(target, attr, fake)
            else:
                monkeypatch.setattr(target, attr, fake)
        result = _run_one(name)
        assert not result.passed, f"{name} passed with a wrong implementation ({why})"
        assert result.score < result.max_score
        assert result.line().startswith(f"FAIL {name}:"), result.line()
        assert "internal error" not in result.line(), result.report()
    return test_check_fails_on_a_subtly_wrong_implementation


def every_check_has_a_wrong_implementation(topic: str, wrong):
    """The test that every check of ``checks/<topic>.py`` has a WRONG entry (a new check gets one too)."""
    def test_every_check_has_a_wrong_implementation_below():
        assert set(checks_in(topic)) == {_fields(case)[0] for case in wrong}
    return test_every_check_has_a_wrong_implementation_below


def planted_bug_tests(cases):
    """The test that each PLANTED bug loses its named part, with the text in that part's message."""
    @pytest.mark.parametrize("name, label, patches, message", [c[1:] for c in cases], ids=[c[0] for c in cases])
    def test_planted_bug_loses_the_named_part(monkeypatch, name, label, patches, message):
        for target, attr, fake in patches:
            monkeypatch.setattr(target, attr, fake)
        (result,) = run_checks([name])
        parts = {p.label: p for p in result.parts}
        assert label in parts, result.report()
        assert not parts[label].passed, result.report()
        assert message in parts[label].message, result.report()
        assert result.score < result.max_score and "internal error" not in result.line()
    return test_planted_bug_loses_the_named_part


def _not_implemented(*args, **kwargs):
    raise NotImplementedError("implement this function")


def not_implemented_tests(topic: str, stubs):
    """The test that each STUBS entry, raising NotImplementedError, scores 0 and says so."""
    @pytest.mark.parametrize("name, stub", stubs, ids=[n for n, _ in stubs])
    def test_not_implemented_scores_zero(monkeypatch, name, stub):
        assert name in checks_in(topic)
        monkeypatch.setattr(*stub, _not_implemented)
        result = _run_one(name)
        assert result.score == 0 and result.max_score > 0
        assert result.line().startswith(f"FAIL {name}:")
        assert "NotImplementedError" in result.line(), result.line()
    return test_not_implemented_scores_zero


def check_tests(topic: str, *, wrong=(), planted=(), stubs=(), complete: bool = True) -> dict:
    """The tests of ``test_checks_<topic>.py``, by name: its module does ``globals().update(check_tests(...))``.

    ``complete``: every check of ``checks/<topic>.py`` must have a ``wrong`` entry.
    """
    tests = {}
    if wrong:
        tests["test_check_fails_on_a_subtly_wrong_implementation"] = wrong_implementation_tests(wrong)
        if complete:
            tests["test_every_check_has_a_wrong_implementation_below"] = every_check_has_a_wrong_implementation(
                topic, wrong)
    if planted:
        tests["test_planted_bug_loses_the_named_part"] = planted_bug_tests(planted)
    if stubs:
        tests["test_not_implemented_scores_zero"] = not_implemented_tests(topic, stubs)
    return tests
