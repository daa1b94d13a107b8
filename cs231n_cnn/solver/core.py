"""The Solver: minibatch training with histories, divergence checks and exact resume.

A :class:`Solver` trains a model with any update rule of
:mod:`cs231n_cnn.optim`. It follows the course's Solver (same constructor
options, same ``train()``/``check_accuracy()``/history attributes) and fixes
the things that cost learners CPU hours:

* **Epochs are epochs.** Each epoch draws one permutation of the training
  set and walks it in minibatches, so every example is seen exactly once
  per epoch (the course sampled minibatches with replacement).
* **Own, seeded randomness.** All randomness (the permutations and the
  subsampling in :meth:`Solver.check_accuracy`) comes from one
  ``np.random.Generator`` owned by the solver (``seed=``); global
  ``np.random`` state is never touched.
* **Divergence stops training** with a :class:`TrainingDiverged` error
  naming the iteration and epoch, instead of hours of NaN.
* **Checkpoints and exact resume.** A checkpoint holds everything the next
  step depends on, is written atomically (:mod:`.checkpoint`), and
  ``resume=`` continues so that an interrupted (even killed) run ends with
  bit-identical parameters.
* **Progress** is a live line in a terminal or notebook, and plain,
  line-oriented output (no carriage returns) in logs, CI and nbval
  (:mod:`.progress`).
* **Options are keyword-only parameters**, so ``help(Solver)`` lists them
  and a misspelt one is an error, not silently ignored.

The model interface is the course's:

* ``model.params``: dict mapping names to float arrays;
* ``model.loss(X)``: class scores of shape (N, C) (test mode);
* ``model.loss(X, y)``: ``(loss, grads)``, ``grads`` a dict with the keys of
  ``model.params`` and arrays of their shapes (training mode).
* optionally ``model.get_config()``: plain data saying how to rebuild the
  model (:class:`~cs231n_cnn.models.ConvNet`: spec, dtype, ...); checkpoints
  store it as ``model_config``, so a checkpoint names the model it belongs to.

Examples
--------
>>> solver = Solver(model, data, update_rule="adam",
...                 optim_config={"learning_rate": 1e-3}, lr_decay=0.95,
...                 num_epochs=5, batch_size=100, seed=0,
...                 checkpoint_name="runs/convnet")       # doctest: +SKIP
>>> solver.train()                                       # doctest: +SKIP
>>> # after a crash or kill, with the same arguments:
>>> Solver(model, data, ..., resume="runs/convnet.npz").train()  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import math
import os
import sys
import time

import numpy as np

from .. import optim
from ..augment import get_augmentation
from ..shapes import NonFiniteError, check_int, check_real
from .arguments import all_finite, check_data, check_model, names_unknown_options
from .checkpoint import HISTORY_NAMES, checkpoint_info, load_checkpoint, restore_solver, save_checkpoint, solver_state
from .progress import Progress

__all__ = ["Solver", "TrainingDiverged", "HISTORY_NAMES"]



class TrainingDiverged(ValueError):
    """Training produced a non-finite loss or non-finite parameters.

    Attributes
    ----------
    iteration : int
        1-based index of the iteration that diverged.
    epoch : int
        1-based index of the epoch it belongs to.
    loss : float or None
        The offending loss, if the loss was what became non-finite.
    """

    def __init__(self, message: str, *, iteration: int, epoch: int, loss: float | None = None):
        super().__init__(message)
        self.iteration = iteration
        self.epoch = epoch
        self.loss = loss


def _holds(path: str, iteration: int, elapsed: float) -> bool:
    """Whether the checkpoint at ``path`` is the state at ``iteration`` after ``elapsed`` seconds of training."""
    try:
        info = checkpoint_info(path)
    except (OSError, ValueError):
        return False
    return (info["iteration"], info["elapsed"]) == (iteration, elapsed)


class Solver:
    """Train a classification model with minibatch gradient descent.

    Parameters
    ----------
    model : object
        Has ``params`` (dict of float arrays) and ``loss(X, y=None)``; see
        the module docstring.
    data : dict
        ``'X_train'`` (N_train, ...), ``'y_train'`` (N_train,) integer labels,
        ``'X_val'`` (N_val, ...), ``'y_val'`` (N_val,).
    update_rule : str or callable, default 'sgd'
        A name in :data:`cs231n_cnn.optim.UPDATE_RULES` or a function with
        the signature ``update(w, dw, config) -> (next_w, config)``.
    optim_config : dict or None, default None
        Hyperparameters for the update rule (None: ``{}``, the rule's
        defaults). Every parameter array gets its own deep copy, so
        optimizer state is never shared between them.
    lr_decay : float, default 1.0
        After every epoch, each ``learning_rate`` is multiplied by this.
    batch_size : int, default 100
        Minibatch size. The last minibatch of an epoch holds the remaining
        ``N_train % batch_size`` examples when that is not zero.
    num_epochs : int, default 10
        Total number of epochs :meth:`train` runs to (counting resumed ones).
    num_train_samples : int or None, default 1000
        Training examples used to estimate training accuracy (None: all).
    num_val_samples : int or None, default None
        Validation examples used for validation accuracy (None: all).
    checkpoint_name : str or path or None, default None
        Checkpoint file; ``.npz`` is appended if missing. Written after every
        epoch (and every ``checkpoint_every`` iterations), replacing the
        previous one atomically. Unlike the course (one pickle per epoch),
        there is one file, the latest state.
    checkpoint_every : int or None, default None
        Also checkpoint every this many iterations (mid-epoch).
    print_every : int, default 10
        In line-oriented output, print the loss every this many iterations.
    verbose : bool, default True
        False: print nothing.
    progress : {'auto', True, False}, default 'auto'
        True: a live progress line rewritten in place (``\\r``) plus one
        line per accuracy check. False: line-oriented output (``print_every``
        lines and one line per accuracy check, never ``\\r``). 'auto': live
        when ``stream`` is a terminal or the code runs in a Jupyter kernel,
        unless the ``CI`` environment variable is set; the environment
        variable ``CS231N_PROGRESS=1``/``0`` overrides 'auto' either way
        (set it to 0 when running notebooks under nbval).
    stream : file-like or None, default None
        Where progress goes (None: ``sys.stdout`` at the time of printing).
    restore_best : bool, default True
        At the end of :meth:`train` (and when training diverges), put the
        parameters with the best validation accuracy back into
        ``model.params``; see Notes.
    seed : int, np.random.Generator or None, default None
        Seed of the solver's random generator (None: fresh OS entropy).
        A Generator passed in is used (and advanced) as is.
    augment : str, callable or None, default None
        Applied to every training minibatch: a name from
        :data:`cs231n_cnn.augment.AUGMENTATIONS` (``'flip'``, ``'crop'``,
        ``'flip-crop'``) or a function ``(X_batch, rng) -> X_batch`` that
        draws its randomness from the solver's generator ``rng``.
    resume : str or path or None, default None
        Checkpoint to continue from; see :meth:`resume`.

    Every option after ``data`` is keyword-only. An option the Solver does
    not have raises :class:`~cs231n_cnn.shapes.ArgumentTypeError` (both a
    ``TypeError`` and a ``ValueError``) naming it and the options there are.

    Attributes
    ----------
    epoch, iteration : int
        Epochs and iterations (minibatch updates) completed so far.
    loss_history, loss_time_history : list of float
        Per iteration: minibatch loss, and seconds of training so far.
    train_acc_history, val_acc_history, acc_iteration_history, acc_time_history : list
        Per accuracy check (after the first iteration, as in the course, and
        after every epoch): accuracies, iteration count, seconds of training.
    best_val_acc : float
        Best validation accuracy seen; ``best_params`` holds copies of the
        parameters that reached it (first reached, on ties) and
        ``best_iteration`` when.
    optim_configs : dict
        Parameter name -> its update rule's config (hyperparameters and state).
    rng : np.random.Generator
        The solver's generator.
    last_checkpoint : dict or None
        The last checkpoint this solver wrote: ``{'path', 'epoch',
        'iteration'}``, set once the file is complete (None before), also
        when an exception (Ctrl-C) came after the file was in place. What
        an interrupted run can say it kept.

    Notes
    -----
    **Best-validation parameters.** After each accuracy check the solver
    keeps a copy of the parameters if validation accuracy improved. As in
    the course, :meth:`train` ends by copying these best parameters into
    ``model.params``, so after training the model is the best one seen, not
    the last one. Pass ``restore_best=False`` to keep the last parameters.
    Checkpoints always hold the *last* parameters (and the best ones
    separately), so resuming continues the trajectory; calling :meth:`train`
    again on the same solver after it restored the best parameters continues
    from those instead.

    **Model state besides params.** The attributes named in
    :attr:`MODEL_STATE_ATTRS` (the course's ``bn_params``, which hold
    batch-norm running averages, and :class:`~cs231n_cnn.models.ConvNet`'s
    ``dropout_state``, where its next dropout masks come from) are
    checkpointed and snapshotted with the best parameters too.

    **Exact resume.** Resuming reproduces the uninterrupted run bit for bit
    when the model's loss is a deterministic function of its params, its
    model state and the minibatch (a model with its own random generator,
    e.g. for dropout, must reseed it per call or keep it in its state), and
    when BLAS uses the same number of threads.

    **Divergence.** A non-finite loss or non-finite parameters after an
    update raise :class:`TrainingDiverged`, as does a layer's
    :class:`~cs231n_cnn.shapes.NonFiniteError` (e.g. softmax scores
    overflowing).
    """

    #: Model attributes that are state but not parameters (checkpointed, snapshotted).
    MODEL_STATE_ATTRS: tuple[str, ...] = ("bn_params", "dropout_state")

    def __init_subclass__(cls, **kwargs):
        # A subclass's own constructor names a misspelt option the same way (one with **options
        # passes it on to this one, which names it).
        super().__init_subclass__(**kwargs)
        if "__init__" in vars(cls):
            cls.__init__ = names_unknown_options(cls.__init__)

    @names_unknown_options
    def __init__(self, model, data, *, update_rule="sgd", optim_config=None, lr_decay=1.0, batch_size=100,
                 num_epochs=10, num_train_samples=1000, num_val_samples=None, checkpoint_name=None,
                 checkpoint_every=None, print_every=10, verbose=True, progress="auto", stream=None,
                 restore_best=True, seed=None, augment=None, resume=None):
        self.model = model
        check_model(model)
        self.X_train, self.y_train, self.X_val, self.y_val = check_data(data)

        self.optim_config = {} if optim_config is None else optim_config
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.checkpoint_name = checkpoint_name
        self.checkpoint_every = checkpoint_every
        self.print_every = print_every
        self.verbose = verbose
        self.progress = progress
        self.stream = stream
        self.restore_best = restore_best
        self.augment = get_augmentation(augment)

        self.update_rule = optim.get_update_rule(update_rule)
        self.update_rule_name = update_rule if isinstance(update_rule, str) else getattr(
            update_rule, "__name__", type(update_rule).__name__)
        if not isinstance(self.optim_config, dict):
            raise ValueError(f"Solver: optim_config must be a dict, got {type(self.optim_config).__name__}")
        layer = "Solver"
        self.lr_decay = check_real(self.lr_decay, "lr_decay", low=0.0, low_open=True, layer=layer)
        self.batch_size = check_int(self.batch_size, "batch_size", minimum=1, layer=layer)
        self.num_epochs = check_int(self.num_epochs, "num_epochs", minimum=0, layer=layer)
        for name in ("num_train_samples", "num_val_samples", "checkpoint_every"):
            if getattr(self, name) is not None:
                setattr(self, name, check_int(getattr(self, name), name, minimum=1, layer=layer))
        self.print_every = check_int(self.print_every, "print_every", minimum=1, layer=layer)
        if self.progress not in ("auto", True, False):
            raise ValueError(f"Solver: progress must be 'auto', True or False, got {self.progress!r}")

        self.rng = np.random.default_rng(seed)
        self._reset()
        if resume is not None:
            self.resume(resume)

    # ------------------------------------------------------------------ state

    def _reset(self) -> None:
        """Set up the bookkeeping for a fresh run (not called by :meth:`train`)."""
        self.epoch = 0
        self.iteration = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.best_model_state = {}
        self.best_iteration = None
        for name in HISTORY_NAMES:
            setattr(self, name, [])
        self.optim_configs = {p: copy.deepcopy(self.optim_config) for p in self.model.params}
        self._perm = None     # this epoch's permutation of range(N_train), None between epochs
        self._pos = 0         # how many entries of _perm have been trained on
        self._elapsed = 0.0   # seconds of training before the current train() call
        self.last_checkpoint = None

    @property
    def num_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def iterations_per_epoch(self) -> int:
        """``ceil(N_train / batch_size)``: the last minibatch may be smaller."""
        return -(-self.num_train // self.batch_size)

    @property
    def checkpoint_path(self) -> str | None:
        """The checkpoint file (``checkpoint_name`` with ``.npz``), or None."""
        if self.checkpoint_name is None:
            return None
        path = os.fspath(self.checkpoint_name)
        return path if path.endswith(".npz") else path + ".npz"

    def _model_config(self):
        """What ``model.get_config()`` returns (how to rebuild the model), or None without it."""
        get_config = getattr(self.model, "get_config", None)
        return get_config() if callable(get_config) else None

    def _model_state(self) -> dict:
        return {a: copy.deepcopy(getattr(self.model, a))
                for a in self.MODEL_STATE_ATTRS if hasattr(self.model, a)}

    def _set_model_state(self, state: dict) -> None:
        for attr, value in state.items():
            setattr(self.model, attr, copy.deepcopy(value))

    def _restore_best_params(self) -> None:
        for k, v in self.best_params.items():
            self.model.params[k] = v.copy()
        self._set_model_state(self.best_model_state)

    # --------------------------------------------------------------- training

    def _step(self, idx: np.ndarray) -> None:
        """One update on the minibatch ``X_train[idx]``; raise if it diverges."""
        X_batch, y_batch = self.X_train[idx], self.y_train[idx]
        if self.augment is not None:
            # The solver's generator: augmented runs are reproducible and resume exactly.
            X_batch = self.augment(X_batch, self.rng)
        try:
            # Overflow shows up as a non-finite loss or parameter, reported below as
            # divergence with the iteration; NumPy's warnings would only add noise.
            with np.errstate(over="ignore", invalid="ignore"):
                loss, grads = self.model.loss(X_batch, y_batch)
        except NonFiniteError as exc:
            # A layer that sees overflowing scores says so (shapes.check_finite);
            # that is divergence, not a bug in the data.
            raise self._diverged(f"a layer saw non-finite values ({exc})", None) from exc
        loss = float(loss)
        if not math.isfinite(loss):
            raise self._diverged(f"the loss is {loss}", loss)
        # Compute every update before committing any, so a divergence leaves
        # the parameters of one consistent iteration.
        updates = {}
        for p, w in self.model.params.items():
            if p not in grads:
                raise ValueError(f"Solver: model.loss returned no gradient for parameter {p!r}")
            # Overflow is reported below as divergence; numpy's warnings would only add noise.
            with np.errstate(over="ignore", invalid="ignore"):
                next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            if not isinstance(next_w, np.ndarray) or next_w.shape != w.shape or next_w.dtype != w.dtype:
                got = (f"shape {next_w.shape}, dtype {next_w.dtype}" if isinstance(next_w, np.ndarray)
                       else type(next_w).__name__)
                raise ValueError(
                    f"Solver: update rule {self.update_rule_name!r} returned {got} for parameter {p!r}; "
                    f"expected shape {w.shape} and dtype {w.dtype}"
                )
            if not all_finite(next_w):
                raise self._diverged(f"parameter {p!r} became non-finite after the update", None)
            updates[p] = (next_w, next_config)
        for p, (next_w, next_config) in updates.items():
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config
        self.loss_history.append(loss)

    def _diverged(self, what: str, loss: float | None) -> TrainingDiverged:
        """Put back the best parameters (if asked) and return the error for the iteration being run."""
        iteration = self.iteration + 1
        epoch = self.epoch + 1
        batch = self._pos // self.batch_size + 1
        lrs = [c["learning_rate"] for c in self.optim_configs.values()
               if isinstance(c, dict) and "learning_rate" in c]
        lr = f" (it is {lrs[0]:g})" if lrs else ""
        if self.restore_best and self.best_params:
            self._restore_best_params()
            kept = (f"; model.params now hold the best parameters so far "
                    f"(val acc {self.best_val_acc:.4f} at iteration {self.best_iteration})")
        elif self.best_params:
            kept = "; the best parameters so far are in solver.best_params"
        else:
            kept = ""
        return TrainingDiverged(
            f"training diverged at iteration {iteration} (epoch {epoch} of {self.num_epochs}, "
            f"minibatch {batch} of {self.iterations_per_epoch}): {what}; "
            f"lower the learning rate{lr}{kept}",
            iteration=iteration, epoch=epoch, loss=loss,
        )

    def check_accuracy(self, X, y, num_samples=None, batch_size=100) -> float:
        """Classification accuracy of the model on ``(X, y)``.

        Parameters
        ----------
        X : ndarray, shape (N, ...)
            Inputs.
        y : ndarray of int, shape (N,)
            Labels.
        num_samples : int or None
            If given and smaller than N, evaluate on ``num_samples`` examples
            drawn without replacement with the solver's generator (so the
            subsample is reproducible from the seed).
        batch_size : int
            Examples per call of ``model.loss`` (bounds memory).

        Returns
        -------
        float
            Fraction of examples whose highest score is the true label.
        """
        N = X.shape[0]
        if N == 0:
            raise ValueError("check_accuracy: X has no examples")
        if y.shape != (N,):
            raise ValueError(f"check_accuracy: y must have shape ({N},) to match X, got {y.shape}")
        batch_size = check_int(batch_size, "batch_size", minimum=1, layer="check_accuracy")
        if num_samples is not None and N > num_samples:
            idx = self.rng.choice(N, size=num_samples, replace=False)
            X, y, N = X[idx], y[idx], num_samples
        y_pred = np.empty(N, dtype=np.int64)
        for start in range(0, N, batch_size):
            scores = self.model.loss(X[start:start + batch_size])
            y_pred[start:start + batch_size] = np.argmax(scores, axis=1)
        return float(np.mean(y_pred == y))

    def _record_accuracy(self, seconds: float) -> tuple[float, float]:
        train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        self.acc_iteration_history.append(self.iteration)
        self.acc_time_history.append(seconds)
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {k: v.copy() for k, v in self.model.params.items()}
            self.best_model_state = self._model_state()
            self.best_iteration = self.iteration
        return train_acc, val_acc

    def train(self) -> None:
        """Train until ``num_epochs`` epochs are complete.

        Continues from the current state (e.g. after :meth:`resume`); does
        nothing more if ``num_epochs`` epochs are already done. Each epoch
        walks one fresh permutation of the training set in minibatches of
        ``batch_size`` (``iterations_per_epoch`` of them). Accuracy is
        checked after the first iteration and after every epoch; the
        learning rate decays and a checkpoint is written after every epoch.

        Raises
        ------
        TrainingDiverged
            If the loss or the parameters become NaN or infinite.
        """
        N, bs = self.num_train, self.batch_size
        report = Progress(self, self.num_epochs * self.iterations_per_epoch)
        start, elapsed0 = time.perf_counter(), self._elapsed

        def seconds() -> float:
            return elapsed0 + (time.perf_counter() - start)

        try:
            while self.epoch < self.num_epochs:
                if self._perm is None:
                    self._perm = self.rng.permutation(N)
                    self._pos = 0
                idx = self._perm[self._pos:self._pos + bs]
                self._step(idx)
                self._pos += idx.shape[0]
                self.iteration += 1
                self.loss_time_history.append(seconds())
                epoch_end = self._pos >= N
                if epoch_end:
                    self.epoch += 1
                    self._perm, self._pos = None, 0
                    for config in self.optim_configs.values():
                        if "learning_rate" in config:
                            config["learning_rate"] *= self.lr_decay
                report.iteration()
                if self.iteration == 1 or epoch_end:
                    report.accuracy(*self._record_accuracy(seconds()))
                self._elapsed = seconds()
                if self.checkpoint_name is not None and (
                        epoch_end or (self.checkpoint_every and self.iteration % self.checkpoint_every == 0)):
                    self.save_checkpoint()
        finally:
            self._elapsed = seconds()
            report.close()
        if self.restore_best and self.best_params:
            self._restore_best_params()

    # ------------------------------------------------------------ checkpoints

    def save_checkpoint(self, path=None) -> str:
        """Write the complete training state to ``path`` (default: :attr:`checkpoint_path`), atomically.

        The file is an ``.npz`` archive: arrays as ``.npy`` members and
        everything else as UTF-8 JSON (member ``meta``), so loading never runs
        code (:mod:`cs231n_cnn.solver.checkpoint`). It is written to a
        temporary file in the same directory, flushed and fsynced, then
        renamed over the old checkpoint: a crash at any moment leaves either
        the old or the new checkpoint, never a broken one.

        Returns
        -------
        str
            The path written.
        """
        path = os.fspath(path) if path is not None else self.checkpoint_path
        if path is None:
            raise ValueError("Solver: no checkpoint path: pass checkpoint_name=... or a path")
        record = {"path": path, "epoch": self.epoch, "iteration": self.iteration}
        try:
            save_checkpoint(path, solver_state(self))
        except BaseException:
            # Ctrl-C may land after the rename (while the directory is synced): the file is then this
            # state, and last_checkpoint must say so. Seconds of training tell it from an older file.
            if _holds(path, self.iteration, self._elapsed):
                self.last_checkpoint = record
            raise
        self.last_checkpoint = record
        return path

    def resume(self, path) -> "Solver":
        """Load the training state saved in a checkpoint; :meth:`train` then continues it.

        Restores the model's parameters (and model state), every optimizer
        config (learning rates after decay, momentum/Adam state), the random
        generator, the epoch/iteration counters and the position inside the
        current epoch's permutation, the histories and the best parameters.
        Options given to the constructor (``num_epochs``, ``print_every``,
        ``checkpoint_name``, ...) are kept, so a run can be extended by
        resuming with a larger ``num_epochs``. ``batch_size``, the update
        rule, the number of training examples and the parameters' names,
        shapes and dtypes must match the checkpoint.

        Returns
        -------
        Solver
            ``self``.
        """
        restore_solver(self, load_checkpoint(path), os.fspath(path))
        if self.verbose:
            # The file name only: logs and notebook outputs should not carry machine paths.
            print(f"Resumed from {os.path.basename(os.fspath(path))}: {self.epoch} epochs, "
                  f"{self.iteration} iterations done",
                  file=self.stream if self.stream is not None else sys.stdout, flush=True)
        return self
