"""Wall-clock timing of a call, repeated: the minimum and the median.

The minimum is the least disturbed run (what the code can do); the median
says what a typical run costs on a busy machine. Notebooks and the
benchmarks report both.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, NamedTuple

from .shapes import check_int

__all__ = ["Timing", "repeat_times", "time_it"]


class Timing(NamedTuple):
    """Seconds per call: the fastest and the median of several runs."""

    min: float
    median: float

    @classmethod
    def of(cls, times) -> Timing:
        """The min and median of a non-empty sequence of per-call seconds."""
        times = list(times)
        if not times:
            raise ValueError("Timing.of: no times given")
        return cls(min(times), statistics.median(times))


def repeat_times(fn: Callable[[], object], repeats: int, *, warmup: int = 0,
                 timer: Callable[[], float] = time.perf_counter) -> list[float]:
    """Call ``fn()`` ``warmup`` times untimed, then ``repeats`` times; return the seconds of each timed call.

    Parameters
    ----------
    fn : callable
        Called with no arguments; its result is discarded.
    repeats : int
        Number of timed calls (>= 1).
    warmup : int
        Untimed calls first (>= 0): first-touch page faults, caches and lazy
        set-up are usually not what one wants to measure.
    timer : callable
        Clock returning seconds; :func:`time.perf_counter` by default.

    Returns
    -------
    list of float
        ``repeats`` durations in seconds, in call order.
    """
    repeats = check_int(repeats, "repeats", minimum=1, layer="repeat_times")
    warmup = check_int(warmup, "warmup", minimum=0, layer="repeat_times")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = timer()
        fn()
        times.append(timer() - start)
    return times


def time_it(fn: Callable[[], object], repeats: int, *, warmup: int = 0,
            timer: Callable[[], float] = time.perf_counter) -> Timing:
    """Time ``repeats`` calls of ``fn()``; return their ``(min, median)`` in seconds.

    Parameters are those of :func:`repeat_times`.

    Returns
    -------
    Timing
        A named tuple ``(min, median)``; unpack it or read ``.min`` and ``.median``.

    Examples
    --------
    >>> best, typical = time_it(lambda: sum(range(1000)), repeats=5)
    >>> 0 < best <= typical
    True
    """
    return Timing.of(repeat_times(fn, repeats, warmup=warmup, timer=timer))
