"""Memoized reference results: the keys, the recorder and the replay (cs231n_cnn.grading.memo).

The release records every reference call of the public checks and ships
only the results; these tests pin down what a key depends on, what the
recorder refuses, and that a replay gives back exactly what was recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from cs231n_cnn.grading.memo import FORMAT, INDEX, MemoError, Recorder, ReferenceMiss, Replay, call_key

REPO = Path(__file__).resolve().parents[2]


def _reference_module(**functions) -> types.ModuleType:
    module = types.ModuleType("fake_reference")
    for name, fn in functions.items():
        setattr(module, name, fn)
    return module


def _closure(scale):
    return lambda v: v * scale


# --------------------------------------------------------------------------- keys

@pytest.mark.parametrize("a, b", [
    ((np.zeros(3),), (np.zeros(3, np.float32),)),
    ((np.zeros(3),), (np.zeros((3, 1)),)),
    ((np.zeros(3),), (np.array([0.0, 0.0, 1e-300]),)),
    ((1,), (1.0,)),
    ((1,), (True,)),
    ((0.0,), (-0.0,)),
    (((1, 2),), ([1, 2],)),
    (({"stride": 1, "pad": 0},), ({"stride": 1, "pad": 1},)),
    ((range(3),), ([0, 1, 2],)),
    ((np.float64(1.0),), (1.0,)),
    ((1, 2), (1,)),
    ((_closure(2.0),), (_closure(3.0),)),
], ids=["dtype", "shape", "value", "int-float", "int-bool", "signed-zero", "tuple-list", "dict-value",
        "range-list", "numpy-python-scalar", "arity", "closure-value"])
def test_keys_tell_apart_what_a_reference_could_tell_apart(a, b):
    assert call_key("f", a, {}) != call_key("f", b, {})


def test_keys_depend_on_the_function_and_keyword_names():
    x = np.ones(2)
    assert call_key("f", (x,), {}) != call_key("g", (x,), {})
    assert call_key("f", (x,), {"mean": x}) != call_key("f", (x,), {"var": x})
    assert call_key("f", (), {"a": 1, "b": 2}) == call_key("f", (), {"b": 2, "a": 1})


def test_equal_closures_hash_alike_and_lambdas_on_other_lines_do_not():
    x = np.arange(4.0)
    assert call_key("f", (_closure(2.0), x), {}) == call_key("f", (_closure(2.0), x), {})
    f = lambda v: v * 2.0            # noqa: E731 - a lambda, as the checks pass them
    g = lambda v: v * 2.0            # noqa: E731
    assert call_key("f", (f,), {}) != call_key("f", (g,), {})


def test_a_reference_function_hashes_by_its_name():
    recorded, replayed = (lambda v: v), (lambda v: -v)
    recorded.__memo_name__ = replayed.__memo_name__ = "relu"
    assert call_key("f", (recorded,), {}) == call_key("f", (replayed,), {})


def test_a_generator_hashes_by_its_state():
    a, b = np.random.default_rng(0), np.random.default_rng(0)
    assert call_key("f", (a,), {}) == call_key("f", (b,), {})
    b.standard_normal()
    assert call_key("f", (a,), {}) != call_key("f", (b,), {})


def test_keys_are_the_same_in_another_interpreter_with_another_hash_seed():
    code = ("import numpy as np\nfrom cs231n_cnn.grading.memo import call_key\n"
            "def make(s):\n    return lambda *a: (a, s)\n"
            "print(call_key('conv', (np.arange(6.0).reshape(2, 3), make({'pad': 1}), {'b', 'a', 'c'}, "
            "np.random.default_rng(5)), {'h': 1e-6}))\n")
    keys = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(REPO))
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        keys.add(proc.stdout.strip())
    assert len(keys) == 1


@pytest.mark.parametrize("arg, where", [
    (object(), "argument 2 is a builtins.object"),
    (np.array([object()]), "argument 2 has dtype object"),
    ((1, [types.SimpleNamespace()]), r"argument 2\[1\]\[0\] is a types.SimpleNamespace"),
    (_closure(types.SimpleNamespace()), "closure variable 'scale'"),
], ids=["object", "object-array", "nested", "closure"])
def test_what_cannot_be_hashed_deterministically_is_an_error_saying_where(arg, where):
    with pytest.raises(MemoError, match=where):
        call_key("f", (1, arg), {})


# --------------------------------------------------------------------------- recording and replaying

def _record_and_replay(tmp_path, functions, calls):
    """Record ``calls`` (name, args, kwargs) through a Recorder; return the results and a Replay of them."""
    module = _reference_module(**functions)
    recorder = Recorder()
    recorder.wrap(module, list(functions))
    recorder.check = "demo"
    results = [getattr(module, name)(*args, **kwargs) for name, args, kwargs in calls]
    recorder.save(tmp_path / "data.npz")
    return results, Replay(tmp_path / "data.npz")


def test_replay_gives_back_the_recorded_results_with_their_types(tmp_path):
    def many(x):
        return (x.astype(np.float32), x.sum(), int(x.size), float(x[0]), [x, None], {"mean": x.mean(), "s": "ok"})

    x = np.array([1.5, 2.0, -3.0])
    (recorded,), replay = _record_and_replay(tmp_path, {"many": many}, [("many", (x,), {})])
    got = replay("many", (x,), {})
    assert type(got) is tuple and len(got) == len(recorded)
    assert got[0].dtype == np.float32 and np.array_equal(got[0], recorded[0])
    assert type(got[1]) is np.float64 and got[1] == recorded[1]
    assert type(got[2]) is int and type(got[3]) is float and got[3] == 1.5
    assert type(got[4]) is list and np.array_equal(got[4][0], x) and got[4][1] is None
    assert got[5]["s"] == "ok" and type(got[5]["mean"]) is np.float64
    got[0][:] = 0                                   # a check may modify what it gets: the next lookup is intact
    assert np.array_equal(replay("many", (x,), {})[0], recorded[0])


def test_the_data_is_json_and_numeric_arrays_loadable_without_pickles(tmp_path):
    _, replay = _record_and_replay(tmp_path, {"double": lambda v: 2 * v}, [("double", (np.ones(3),), {})])
    with np.load(replay.path, allow_pickle=False) as data:
        index = json.loads(data[INDEX].tobytes().decode("utf-8"))
        assert index["format"] == FORMAT and len(index["calls"]) == 1
        assert all(data[k].dtype.kind in "biufc" for k in data.files)


def test_a_call_that_draws_from_a_generator_replays_its_draws(tmp_path):
    def distinct(rng, n):
        return rng.permutation(n)

    rng = np.random.default_rng(7)
    (perm,), replay = _record_and_replay(tmp_path, {"distinct": distinct}, [("distinct", (rng, 5), {})])
    after_recording = rng.standard_normal(3)
    fresh = np.random.default_rng(7)
    assert np.array_equal(replay("distinct", (fresh, 5), {}), perm)
    assert np.array_equal(fresh.standard_normal(3), after_recording)     # same state as after the real call


def test_nested_calls_are_not_recorded(tmp_path):
    module = _reference_module()
    module.square = lambda v: v * v
    module.grad = lambda f, v: (module.square(v + 1e-3) - module.square(v - 1e-3)) / 2e-3
    recorder = Recorder()
    recorder.wrap(module, ["square", "grad"])
    module.grad(module.square, np.ones(2))
    assert [c["function"] for c in recorder.calls.values()] == ["grad"]


def test_a_missing_key_raises_a_clear_error_and_is_counted(tmp_path):
    _, replay = _record_and_replay(tmp_path, {"double": lambda v: 2 * v}, [("double", (np.ones(3),), {})])
    with pytest.raises(ReferenceMiss, match=r"ref\.double\(<float64 array \(4,\)>\) was not recorded: this check's "
                                            r"inputs changed since the release was built; public checks can only "
                                            r"replay the inputs they were built with"):
        replay("double", (np.ones(4),), {})
    assert replay.misses == ["double"]


def test_a_missing_data_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="data.npz is missing"):
        Replay(tmp_path / "data.npz")("double", (1,), {})


@pytest.mark.parametrize("fn, match", [
    (lambda v: types.SimpleNamespace(v=v), r"check 'demo': ref\.f: result is a types\.SimpleNamespace"),
    (lambda v: v.sort(), r"ref\.f modified its arguments"),
    # One counter shared by every call on purpose: a reference that is not deterministic.
    (lambda v, _n=iter(range(10)): v + next(_n), r"ref\.f gave two different results for the same key"),  # noqa: B008
], ids=["not-plain-data", "modifies-its-argument", "not-deterministic"])
def test_the_recorder_refuses_what_it_could_not_replay(fn, match):
    module = _reference_module(f=fn)
    recorder = Recorder()
    recorder.wrap(module, ["f"])
    recorder.check = "demo"
    with pytest.raises(MemoError, match=match):
        for _ in range(2):
            module.f(np.array([3.0, 1.0, 2.0]))
    assert recorder.errors and "demo" in recorder.errors[0]
