"""time_it and repeat_times, driven by a fake clock (no wall-clock thresholds)."""

from __future__ import annotations

import itertools

import pytest

from cs231n_cnn.timing import Timing, repeat_times, time_it


class FakeClock:
    """A timer whose calls advance by the next duration in ``durations`` while ``fn`` runs."""

    def __init__(self, durations):
        self.now = 0.0
        self.durations = iter(durations)
        self.calls = 0

    def fn(self):
        self.calls += 1
        self.now += next(self.durations)

    def __call__(self):
        return self.now


def test_min_and_median_of_the_timed_calls():
    clock = FakeClock([4.0, 1.0, 3.0, 2.0, 5.0])
    assert time_it(clock.fn, 5, timer=clock) == Timing(min=1.0, median=3.0)
    assert clock.calls == 5


def test_warmup_calls_are_made_but_not_timed():
    clock = FakeClock([100.0, 100.0, 2.0, 1.0])
    assert repeat_times(clock.fn, 2, warmup=2, timer=clock) == [2.0, 1.0]
    assert clock.calls == 4


def test_even_number_of_repeats_takes_the_middle_mean():
    clock = FakeClock([1.0, 2.0, 3.0, 10.0])
    best, typical = time_it(clock.fn, 4, timer=clock)
    assert (best, typical) == (1.0, 2.5)


def test_the_real_clock_gives_ordered_non_negative_times():
    result = time_it(lambda: sum(range(100)), 3)
    assert 0 <= result.min <= result.median


def test_timing_of_collected_times():
    assert Timing.of(itertools.chain([3.0], [1.0, 2.0])) == (1.0, 2.0)
    with pytest.raises(ValueError, match="no times"):
        Timing.of([])


@pytest.mark.parametrize("repeats, warmup, pattern", [
    (0, 0, r"repeats must be positive"),
    (2.0, 0, r"repeats must be an integer"),
    (1, -1, r"warmup must be >= 0"),
], ids=["zero-repeats", "float-repeats", "negative-warmup"])
def test_bad_counts_are_refused(repeats, warmup, pattern):
    with pytest.raises(ValueError, match=pattern):
        repeat_times(lambda: None, repeats, warmup=warmup)
