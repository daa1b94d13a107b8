"""The Solver: minibatch training with histories, checkpoints and exact resume.

Three modules, each one thing:

* :mod:`.core`: the :class:`Solver` (training loop, accuracy checks,
  divergence, resume) and :class:`TrainingDiverged`;
* :mod:`.checkpoint`: the checkpoint file format (:func:`load_checkpoint`);
* :mod:`.progress`: the progress display (live line or plain lines).

Everything ``cs231n_cnn.solver`` exported as a single module is importable
from here as before.
"""

from .checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, NotACheckpoint, checkpoint_info, load_checkpoint
from .core import Solver, TrainingDiverged

__all__ = [
    "Solver",
    "TrainingDiverged",
    "load_checkpoint",
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "checkpoint_info",
    "NotACheckpoint",
]
