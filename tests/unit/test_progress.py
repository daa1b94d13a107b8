"""The progress display, driven by a stand-in solver: plain lines, the live line, or nothing."""

import io
import types

import pytest

from cs231n_cnn.solver import progress
from cs231n_cnn.solver.progress import Progress, format_seconds, live_progress


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


class ClosedTTY(io.StringIO):
    def isatty(self):
        raise ValueError("I/O operation on closed file")


def fake_solver(**kw):
    """The attributes Progress reads; 2 epochs of 3 iterations, batches of 10."""
    defaults = dict(verbose=True, progress=False, stream=io.StringIO(), print_every=2, num_epochs=2,
                    batch_size=10, iterations_per_epoch=3, epoch=0, iteration=0, loss_history=[],
                    acc_time_history=[])
    return types.SimpleNamespace(**{**defaults, **kw})


def run(s, report):
    """Six iterations with an accuracy check after the first and after each epoch."""
    for it in range(1, 7):
        s.iteration, s.loss_history = it, s.loss_history + [1.0 / it]
        s.epoch = it // 3
        report.iteration()
        if it in (1, 3, 6):
            s.acc_time_history.append(61.0 * it)
            report.accuracy(0.5, 0.25)
    report.close()
    return s.stream.getvalue()


def test_plain_lines_every_print_every_iterations_and_per_accuracy_check():
    s = fake_solver()
    out = run(s, Progress(s, total=6))
    assert out.splitlines() == [
        "(Iteration 1 / 6) loss: 1.000000",
        "(Epoch 0 / 2) train acc: 0.500000; val_acc: 0.250000",
        "(Iteration 3 / 6) loss: 0.333333",
        "(Epoch 1 / 2) train acc: 0.500000; val_acc: 0.250000",
        "(Iteration 5 / 6) loss: 0.200000",
        "(Epoch 2 / 2) train acc: 0.500000; val_acc: 0.250000",
    ]


def test_verbose_false_writes_nothing():
    s = fake_solver(verbose=False, progress=True)
    assert run(s, Progress(s, total=6)) == ""


def test_the_live_line_is_rewritten_in_place_and_cleared(monkeypatch):
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    s = fake_solver(progress=True, stream=FakeTTY())
    out = run(s, Progress(s, total=6))
    assert "\r" in out and "(Iteration" not in out
    lines = [line for line in out.replace("\r", "\n").splitlines() if line.strip()]
    assert lines[0].startswith("epoch 1/2 [======..............] it 1/6 loss 1.0000 ")
    assert "(Epoch 1 / 2) train acc: 0.500000; val_acc: 0.250000  [3:03]" in lines
    assert any(line.startswith("epoch 2/2 [====================] it 6/6 loss 0.1667") for line in lines)
    assert out.endswith("  [6:06]\n")               # the last accuracy line replaced the live line


def test_close_erases_a_live_line_left_over():
    s = fake_solver(progress=True, stream=FakeTTY(), iteration=1, loss_history=[2.0])
    report = Progress(s, total=6)
    report.iteration()
    report.close()
    out = s.stream.getvalue()
    line = out.split("\r")[1]
    assert line.startswith("epoch 1/2 ") and out.endswith("\r" + " " * len(line) + "\r")


@pytest.mark.parametrize("setting, env, stream, live", [
    (True, {}, io.StringIO(), True),
    (False, {"CS231N_PROGRESS": "1"}, FakeTTY(), False),
    ("auto", {}, FakeTTY(), True),
    ("auto", {}, io.StringIO(), False),
    ("auto", {}, ClosedTTY(), False),
    ("auto", {"CI": "1"}, FakeTTY(), False),
    ("auto", {"CS231N_PROGRESS": "off"}, FakeTTY(), False),
    ("auto", {"CI": "1", "CS231N_PROGRESS": "yes"}, io.StringIO(), True),
], ids=["forced-on", "forced-off-beats-env", "auto-tty", "auto-pipe", "auto-closed", "auto-ci", "env-off",
        "env-on-beats-ci"])
def test_when_the_live_line_is_used(monkeypatch, setting, env, stream, live):
    for var in ("CI", "CS231N_PROGRESS"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert live_progress(setting, stream) is live


def test_a_jupyter_kernel_counts_as_live(monkeypatch):
    for var in ("CI", "CS231N_PROGRESS"):
        monkeypatch.delenv(var, raising=False)
    shell = type("ZMQInteractiveShell", (), {})()
    monkeypatch.setitem(progress.sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert live_progress("auto", io.StringIO())
    monkeypatch.setitem(progress.sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    assert not live_progress("auto", io.StringIO())


@pytest.mark.parametrize("seconds, text", [(0, "0:00"), (59.6, "1:00"), (61, "1:01"), (3600, "1:00:00"),
                                           (3725, "1:02:05")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_in_a_notebook_the_live_display_is_a_tqdm_bar(monkeypatch, capsys):
    from tqdm.std import tqdm

    bar_output = io.StringIO()
    bars = []

    def make_bar(total, initial):
        bars.append(tqdm(total=total, initial=initial, file=bar_output, mininterval=0))
        return bars[-1]

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "_notebook_bar", make_bar)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    s = fake_solver(progress=True, stream=FakeTTY())
    out = run(s, Progress(s, total=6))
    assert out == ""                                   # nothing of the \r line in a notebook
    (bar,) = bars
    assert bar.n == 6 and bar.total == 6
    assert "epoch 2/2" in bar_output.getvalue() and "loss 0.1667" in bar_output.getvalue()
    printed = capsys.readouterr().out.splitlines()      # accuracy checks are printed above the bar
    assert printed[-1] == "(Epoch 2 / 2) train acc: 0.500000; val_acc: 0.250000  [6:06]"
