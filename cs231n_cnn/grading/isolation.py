"""User ids and private mounts for the sandbox: see :mod:`.sandbox.isolation`.

Kept so that ``cs231n_cnn.grading.isolation`` stays importable.
"""

from __future__ import annotations

from .sandbox.isolation import (
                                PRIVATE_TMP,
                                UID_BASE,
                                UID_SLOTS,
                                MountPlan,
                                UidSlot,
                                acquire_uid,
                                blocking_ancestor,
                                kill_processes_of,
                                namespaces_available,
                                plan_mounts,
                                processes_of,
                                reachability_problem,
                                remove_leftovers,
)

__all__ = ["UidSlot", "acquire_uid", "MountPlan", "plan_mounts", "reachability_problem", "blocking_ancestor",
           "remove_leftovers", "processes_of", "kill_processes_of", "namespaces_available", "UID_BASE", "UID_SLOTS",
           "PRIVATE_TMP"]
