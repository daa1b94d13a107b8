"""The Solver's checkpoint file: one ``.npz`` holding the whole training state, written atomically.

A checkpoint is an ``.npz`` whose member ``meta`` is UTF-8 JSON::

    {"format": "cs231n_cnn.solver.checkpoint", "version": 2, "state": ...}

``state`` is the training state encoded by :mod:`cs231n_cnn.arraycodec`
(its arrays are the other members), so loading never runs code
(``allow_pickle=False``) and values come back with their types (a tuple as a
tuple, a NumPy scalar with its dtype). Version 1 files (written before the
codec was shared: the state itself as ``meta``, arrays as
``{"__ndarray__": "a3"}``) are still read.

The state includes ``model_config``: what the model's ``get_config()``
returned (for :class:`~cs231n_cnn.models.ConvNet`: its spec, dtype, fused
flag and reg), so a checkpoint says which model it can be resumed into;
None for a model without ``get_config`` and absent from older files.
:func:`checkpoint_info` reads it (and the counters) without loading the
parameters.

A file that is not a checkpoint is refused with :class:`NotACheckpoint`
saying what it is instead (a pickle, a single ``.npy`` array, an ``.npz`` of
something else); nothing is ever unpickled, and NumPy's advice to load such a
file with ``allow_pickle=True`` is not passed on.

A checkpoint is written to a temporary file in the same directory, flushed
and fsynced, then renamed over the old one (:func:`cs231n_cnn.fileio.atomic_path`):
a crash at any moment leaves either the old or the new checkpoint.
"""

from __future__ import annotations

import json
import os

import numpy as np

from .. import arraycodec
from ..arraycodec import MAX_DEPTH, ArrayStore, UnsupportedValue
from ..fileio import atomic_path

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "save_checkpoint",
    "HISTORY_NAMES",
    "solver_state",
    "restore_solver",
    "load_checkpoint",
    "checkpoint_info",
    "NotACheckpoint",
    "generator_from_state",
]

CHECKPOINT_FORMAT = "cs231n_cnn.solver.checkpoint"
CHECKPOINT_VERSION = 2            # what save_checkpoint writes
READABLE_VERSIONS = (1, 2)        # what load_checkpoint reads
META = "meta"                     # the JSON member

# Bit generators a checkpoint may name; the state is restored into a fresh one.
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")

_V1_ARRAY = "__ndarray__"  # version 1 placeholder: {"__ndarray__": "a3"} -> arrays["a3"]

# The first bytes of the files a checkpoint path may hold by mistake (read before NumPy sees the file,
# because np.load calls anything that is neither a zip nor an .npy a pickle, random bytes included).
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members; an empty zip
_NPY_MAGIC = b"\x93NUMPY"
_PICKLE_PROTOCOL = b"\x80"                     # pickle protocols 2-5 start with PROTO


class NotACheckpoint(ValueError):
    """The file is not a Solver checkpoint: another kind of file, or a damaged one. The message says which."""


def save_checkpoint(path, state: dict) -> None:
    """Write the training ``state`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path
        The file (written as given; the Solver appends ``.npz``).
    state : dict
        Plain data and arrays (see :mod:`cs231n_cnn.arraycodec`).

    Raises
    ------
    ValueError
        If some part of ``state`` cannot be stored without pickle; the
        message says which (``checkpoint['settings']['optim_config'][...]``).
    """
    arrays = ArrayStore()
    try:
        encoded = arraycodec.encode(state, arrays, "checkpoint")
    except UnsupportedValue as exc:
        raise ValueError(_unsupported_message(exc)) from None
    header = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "state": encoded}
    members = arraycodec.to_members(header, arrays, member=META)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        _write_npz(f, members)


def _unsupported_message(exc: UnsupportedValue) -> str:
    if exc.reason == "type":
        return (f"cannot checkpoint {exc.where} of type {type(exc.value).__name__}: only arrays, numbers, "
                f"strings, None and dicts/lists of them can be stored without pickle")
    if exc.reason == "dtype":
        if exc.value.dtype.hasobject:
            return f"cannot checkpoint {exc.where}: object arrays would need pickle"
        return f"cannot checkpoint {exc.where}: it has dtype {exc.value.dtype}; only numeric arrays can be stored"
    return f"cannot checkpoint {exc.where}: it is nested more than {MAX_DEPTH} levels deep"


def _write_npz(fileobj, members: dict) -> None:
    """Write ``members`` as an uncompressed npz to an open binary file (replaced in tests to fail halfway)."""
    arraycodec.write_npz(fileobj, members, compress=False)


def load_checkpoint(path) -> dict:
    """Read a checkpoint written by :meth:`Solver.save_checkpoint <cs231n_cnn.solver.Solver.save_checkpoint>`.

    Nothing in the file is executed (``allow_pickle=False``).

    Returns
    -------
    dict
        ``format``, ``version``, ``params``, ``optim_configs``,
        ``rng_state``, ``epoch``, ``iteration``, ``perm``, ``pos``,
        ``history`` (dict of lists), ``best_params``, ``best_val_acc``,
        ``settings``, ``model_config`` (None if the file does not have it),
        ... with arrays restored.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    NotACheckpoint
        (a ``ValueError``) If the file is not a readable checkpoint of this
        format; the message says what it is instead.
    """
    path = os.fspath(path)
    with _open_npz(path) as z:
        meta, version = _header(z, path)
        arrays = {k: _member(z, k, path) for k in z.files if k != META}
    try:
        if version == 1:
            state = _decode_v1(meta, arrays)
        else:
            state = arraycodec.decode(meta["state"], arrays)
    except KeyError as exc:
        raise NotACheckpoint(f"{path} is damaged: array {exc} is missing") from exc
    if not isinstance(state, dict):
        raise NotACheckpoint(f"{path} is damaged: its state is a {type(state).__name__}, not a dict")
    for key in ("format", "version"):   # version 1 keeps them in the state itself
        state.pop(key, None)
    return {"format": CHECKPOINT_FORMAT, "version": version, "model_config": None, **state}


def checkpoint_info(path) -> dict:
    """What a checkpoint holds besides its arrays, read without loading the parameters.

    For checking a file before the training data is loaded: the same errors
    as :func:`load_checkpoint` for a file that is not a checkpoint.

    Returns
    -------
    dict
        ``version``, ``model_config`` (None if the file does not record the
        model), ``epoch``, ``iteration``, ``elapsed`` (seconds of training)
        and ``settings`` (None where the file lacks them).
    """
    path = os.fspath(path)
    info = {"version": None, "model_config": None, "epoch": None, "iteration": None, "elapsed": None,
            "settings": None}
    with _open_npz(path) as z:
        meta, info["version"] = _header(z, path)
        arrays = _LazyMembers(z, path)          # only what the entries below refer to is read
        try:
            if info["version"] == 1:
                for key in info.keys() - {"version"}:
                    info[key] = _decode_v1(meta.get(key), arrays)
            else:
                entries = meta["state"]["$d"]
                for key, value in entries:
                    if key in info and key != "version":
                        info[key] = arraycodec.decode(value, arrays)
        except NotACheckpoint:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise NotACheckpoint(f"{path} is damaged: its state cannot be read ({type(exc).__name__}: {exc})") \
                from exc
    return info


class _LazyMembers:
    """The arrays of an open ``.npz`` as a mapping that reads a member when asked for it."""

    def __init__(self, z, path: str):
        self.z, self.path = z, path

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.z.files:
            raise KeyError(name)
        return _member(self.z, name, self.path)


def _what_file(path: str) -> str | None:
    """None if ``path`` holds a zip (so maybe a checkpoint); otherwise what it holds, for the error."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(_NPY_MAGIC))
    except IsADirectoryError:
        return "a directory"
    if head.startswith(_ZIP_MAGIC):
        return None
    if not head:
        return "an empty file"
    if head.startswith(_NPY_MAGIC):
        return "a single NumPy array (.npy), not an .npz archive"
    if head.startswith(_PICKLE_PROTOCOL) and len(head) > 1 and 2 <= head[1] <= 5:
        return "a Python pickle, which is never loaded (unpickling a file can run any code in it)"
    return "not an .npz archive"


def _not_a_checkpoint(path: str, what: str) -> NotACheckpoint:
    return NotACheckpoint(f"{path} is not a cs231n_cnn checkpoint: it is {what}; a checkpoint is the .npz "
                          f"file a Solver writes (checkpoint_name=..., `cs231n-cnn train --checkpoint`)")


def _open_npz(path: str):
    """The open ``np.load`` archive of ``path``; :class:`NotACheckpoint` if ``path`` is no ``.npz``.

    The file's first bytes are read first: for anything that is neither a zip
    nor an ``.npy``, ``np.load`` says it holds pickled data and suggests
    loading it with ``allow_pickle=True``, which a checkpoint never needs.
    """
    what = _what_file(path)
    if what is not None:
        raise _not_a_checkpoint(path, what)
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:  # zipfile.BadZipFile, EOFError, OSError ...
        raise NotACheckpoint(f"{path} is not a readable checkpoint: a damaged zip archive "
                             f"({type(exc).__name__}: {exc})") from exc


def _member(z, name: str, path: str) -> np.ndarray:
    """Member ``name`` of the open archive ``z``; never unpickled."""
    try:
        return z[name]
    except ValueError as exc:
        # np.load's "Object arrays cannot be loaded when allow_pickle=False": not passed on, it invites pickle.
        raise NotACheckpoint(f"{path} is not a cs231n_cnn checkpoint: its member {name!r} holds Python objects, "
                             f"which are never loaded (that would need pickle)") from exc
    except Exception as exc:  # zipfile.BadZipFile (CRC), EOFError ...
        raise NotACheckpoint(f"{path} is damaged: member {name!r} cannot be read ({type(exc).__name__}: {exc})") \
            from exc


def _header(z, path: str) -> tuple[dict, int]:
    """The decoded ``meta`` member of the open archive ``z`` and its version, after checking both."""
    if META not in z.files:
        held = ", ".join(repr(f) for f in z.files[:5]) + (", ..." if len(z.files) > 5 else "")
        raise _not_a_checkpoint(path, f"an .npz archive without the checkpoint's 'meta' entry "
                                      f"(it holds {held or 'nothing'})")
    try:
        meta = json.loads(_member(z, META, path).tobytes().decode("utf-8"))
    except NotACheckpoint:
        raise
    except ValueError as exc:   # json.JSONDecodeError, UnicodeDecodeError
        raise NotACheckpoint(f"{path} has unreadable metadata: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        raise NotACheckpoint(f"{path} is not a cs231n_cnn Solver checkpoint")
    version = meta.get("version")
    if version not in READABLE_VERSIONS:
        raise NotACheckpoint(f"{path} has checkpoint version {version!r}; "
                             f"this cs231n_cnn reads versions {', '.join(map(str, READABLE_VERSIONS))}")
    if version != 1 and not (isinstance(meta.get("state"), dict) and isinstance(meta["state"].get("$d"), list)):
        raise NotACheckpoint(f"{path} is damaged: its state is not a dict")
    return meta, version


def _decode_v1(obj, arrays: dict):
    """A version 1 ``meta``: plain JSON with ``{"__ndarray__": name}`` where an array was."""
    if isinstance(obj, dict):
        if set(obj) == {_V1_ARRAY}:
            return arrays[obj[_V1_ARRAY]]
        return {k: _decode_v1(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode_v1(v, arrays) for v in obj]
    return obj


def generator_from_state(state, where: str) -> np.random.Generator:
    """A fresh ``np.random.Generator`` in the saved bit-generator ``state``; ``where`` names the file in errors."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(f"{where} has an unknown random generator {name!r}")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


# Histories saved in checkpoints, in one place so save and load agree.
HISTORY_NAMES = (
    "loss_history",           # loss of every minibatch, one per iteration
    "loss_time_history",      # seconds of training when each loss was recorded
    "train_acc_history",      # accuracy checks: after iteration 1 and after each epoch
    "val_acc_history",
    "acc_iteration_history",  # iteration count at each accuracy check
    "acc_time_history",       # seconds of training at each accuracy check
)


def solver_state(solver) -> dict:
    """Everything the next training step of ``solver`` depends on, as plain values and arrays."""
    return {
        "settings": {
            "update_rule": solver.update_rule_name,
            "batch_size": solver.batch_size,
            "num_train": solver.num_train,
            "lr_decay": solver.lr_decay,
            "num_epochs": solver.num_epochs,
            "optim_config": solver.optim_config,
        },
        "model_config": solver._model_config(),
        "params": dict(solver.model.params),
        "model_state": solver._model_state(),
        "optim_configs": solver.optim_configs,
        "rng_state": solver.rng.bit_generator.state,
        "epoch": solver.epoch,
        "iteration": solver.iteration,
        "perm": solver._perm,
        "pos": solver._pos,
        "elapsed": solver._elapsed,
        "best_val_acc": solver.best_val_acc,
        "best_iteration": solver.best_iteration,
        "best_params": solver.best_params,
        "best_model_state": solver.best_model_state,
        "history": {name: getattr(solver, name) for name in HISTORY_NAMES},
    }


def restore_solver(solver, ck: dict, path: str) -> None:
    """Put the state of checkpoint ``ck`` (read from ``path``) into ``solver``, after checking it fits.

    ``batch_size``, the update rule, the number of training examples and the
    parameters' names, shapes and dtypes must match: an exact continuation
    needs them.
    """
    where = f"resume: checkpoint {path!r}"
    s = ck["settings"]
    for key, mine in (("num_train", solver.num_train), ("batch_size", solver.batch_size),
                      ("update_rule", solver.update_rule_name)):
        if s[key] != mine:
            raise ValueError(f"{where} was written with {key}={s[key]!r} but this solver has "
                             f"{key}={mine!r}; an exact continuation needs the same value")
    params = ck["params"]
    mine = {k: (v.shape, v.dtype.str) for k, v in solver.model.params.items()}
    theirs = {k: (v.shape, v.dtype.str) for k, v in params.items()}
    if mine != theirs:
        raise ValueError(f"{where} holds parameters {theirs} but the model has {mine}")
    perm, pos = ck["perm"], ck["pos"]
    if perm is not None and (perm.shape != (solver.num_train,) or not 0 <= pos < solver.num_train):
        raise ValueError(f"{where} has an invalid epoch position ({pos} of {solver.num_train})")
    for k, v in params.items():
        solver.model.params[k] = v
    solver._set_model_state(ck["model_state"])
    solver.optim_configs = ck["optim_configs"]
    solver.rng = generator_from_state(ck["rng_state"], where)
    solver.epoch, solver.iteration = ck["epoch"], ck["iteration"]
    solver._perm, solver._pos = perm, pos
    solver._elapsed = ck["elapsed"]
    solver.best_val_acc, solver.best_iteration = ck["best_val_acc"], ck["best_iteration"]
    solver.best_params, solver.best_model_state = ck["best_params"], ck["best_model_state"]
    for name in HISTORY_NAMES:
        setattr(solver, name, list(ck["history"][name]))
