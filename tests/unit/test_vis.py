"""Figures: curves, filter grids and confusion matrices (Agg backend, nothing shown)."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cs231n_cnn.vis import (  # noqa: E402
    confusion_matrix,
    confusion_matrix_figure,
    filter_grid,
    make_grid,
    plot_training,
    vis_grid,
    vis_nn,
    visualize_grid,
)


def render(fig: Figure, tmp_path, name="fig.png"):
    """Draw the figure for real (catches errors that only show at draw time)."""
    path = tmp_path / name
    fig.savefig(path)
    assert path.stat().st_size > 0


# ---------------------------------------------------------- confusion matrix

def test_confusion_matrix_counts_by_hand():
    # true:  0 0 0 1 1 2 2 2 2 3
    # pred:  0 0 1 1 2 2 2 0 2 3
    # class 0: two right, one as 1   -> row [2, 1, 0, 0]
    # class 1: one right, one as 2   -> row [0, 1, 1, 0]
    # class 2: three right, one as 0 -> row [1, 0, 3, 0]
    # class 3: one right             -> row [0, 0, 0, 1]
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    y_pred = np.array([0, 0, 1, 1, 2, 2, 2, 0, 2, 3])
    expected = np.array([[2, 1, 0, 0],
                         [0, 1, 1, 0],
                         [1, 0, 3, 0],
                         [0, 0, 0, 1]])
    m = confusion_matrix(y_true, y_pred, 4)
    assert m.dtype == np.int64
    assert np.array_equal(m, expected)
    assert m.trace() == 7  # correct predictions: accuracy 0.7


def test_confusion_matrix_has_room_for_absent_classes():
    m = confusion_matrix(np.array([1, 1]), np.array([1, 4]), 6)
    assert m.shape == (6, 6) and m.sum() == 2 and m[1, 1] == 1 and m[1, 4] == 1


@pytest.mark.parametrize("y_true, y_pred, k, match", [
    ([0, 1], [0, 3], 3, r"confusion_matrix: y_pred\[1\] = 3 is not a class in 0..2 \(num_classes=3\)"),
    ([-1, 1], [0, 1], 3, r"confusion_matrix: y_true\[0\] = -1 is not a class in 0..2"),
    ([0, 1, 2], [0, 1], 3, r"confusion_matrix: y_true has 3 labels but y_pred has 2"),
    ([0.0, 1.0], [0, 1], 3, r"confusion_matrix: y_true must be a 1-D array of integer class labels, .*float64"),
    ([0, 1], [0, 1], 0, r"confusion_matrix: num_classes must be positive"),
], ids=["pred-out-of-range", "negative-true", "length", "float-labels", "zero-classes"])
def test_confusion_matrix_bad_input(y_true, y_pred, k, match):
    with pytest.raises(ValueError, match=match):
        confusion_matrix(np.array(y_true), np.array(y_pred), k)


def test_confusion_matrix_figure(tmp_path):
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    fig = confusion_matrix_figure(y_true, y_pred, class_names=["cat", "dog", "ship"])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2  # the matrix and its colorbar
    ax = fig.axes[0]
    assert len(ax.images) == 1
    assert np.array_equal(ax.images[0].get_array(), confusion_matrix(y_true, y_pred, 3))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "ship"]
    assert sorted(t.get_text() for t in ax.texts) == sorted("1 1 0 0 1 0 1 0 2".split())
    render(fig, tmp_path)


def test_confusion_matrix_figure_normalized_rows_sum_to_one():
    fig = confusion_matrix_figure(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), normalize=True)
    values = np.asarray(fig.axes[0].images[0].get_array())
    assert values.shape == (3, 3)  # classes from the largest label
    np.testing.assert_allclose(values.sum(axis=1), 1.0)
    np.testing.assert_allclose(values[0], [0.5, 0.5, 0.0])


# ------------------------------------------------------------- filter grid

def test_make_grid_layout_and_per_filter_normalization():
    # Filter 0 holds 0..11, filter 1 holds 100 + 10*(0..11): each maps to the same [0, 1] image.
    base = np.arange(12, dtype=np.float64).reshape(3, 2, 2)
    w = np.stack([base, 100 + 10 * base, np.full((3, 2, 2), 7.0)])  # (F=3, C=3, 2, 2)
    grid = make_grid(w, padding=1, ncols=2)
    # 2 rows x 2 columns of 2x2 tiles with 1-pixel borders: 2*3+1 = 7 on each side.
    assert grid.shape == (7, 7, 3)
    tile = base.transpose(1, 2, 0) / 11  # (HH, WW, C) scaled by min 0, max 11
    assert np.array_equal(grid[1:3, 1:3], tile)
    np.testing.assert_allclose(grid[1:3, 4:6], tile, rtol=1e-15)
    assert np.all(grid[4:6, 1:3] == 0.5)  # a constant filter
    assert np.all(grid[4:6, 4:6] == 1.0)  # the empty 4th slot is background
    assert np.all(grid[0] == 1.0) and np.all(grid[:, 3] == 1.0)  # borders


def test_make_grid_grey_and_default_columns():
    w = np.random.default_rng(0).standard_normal((5, 1, 3, 4)).astype(np.float32)
    grid = make_grid(w, padding=0)
    assert grid.shape == (2 * 3, 3 * 4, 1)  # ceil(sqrt(5)) = 3 columns, 2 rows
    for f in range(5):
        r, c = divmod(f, 3)
        tile = grid[3 * r:3 * r + 3, 4 * c:4 * c + 4, 0]
        assert tile.min() == 0.0 and tile.max() == 1.0


@pytest.mark.parametrize("w, match", [
    (np.zeros((4, 2, 3, 3)), r"make_grid: filters must have C=1 \(grey\) or C=3 \(RGB\) channels, got C=2"),
    (np.zeros((4, 3, 3)), r"make_grid: w must have 4 dimensions, got shape \(4, 3, 3\)"),
    (np.zeros((4, 3, 3, 3), dtype=int), r"make_grid: w must be a floating-point array"),
], ids=["two-channels", "3d", "int"])
def test_make_grid_bad_input(w, match):
    with pytest.raises(ValueError, match=match):
        make_grid(w)


@pytest.mark.parametrize("C", [1, 3], ids=["grey", "rgb"])
def test_filter_grid_figure(tmp_path, C):
    w = np.random.default_rng(1).standard_normal((8, C, 5, 5))
    w0 = w.copy()
    fig = filter_grid(w)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1 and len(fig.axes[0].images) == 1
    image = np.asarray(fig.axes[0].images[0].get_array())
    assert image.shape == ((3 * 6 + 1, 3 * 6 + 1, 3) if C == 3 else (19, 19))
    assert np.array_equal(w, w0)
    render(fig, tmp_path)


# ---------------------------------------------------------- training curves

def histories():
    return {
        "loss_history": list(np.linspace(2.3, 1.0, 60)),
        "train_acc_history": [0.1, 0.3, 0.5, 0.6],
        "val_acc_history": [0.1, 0.25, 0.4, 0.45],
    }


def test_plot_training_from_a_dict(tmp_path):
    fig = plot_training(histories())
    assert isinstance(fig, Figure)
    ax_loss, ax_acc = fig.axes
    assert len(fig.axes) == 2
    points = ax_loss.lines[0]
    assert np.array_equal(points.get_xdata(), np.arange(1, 61))
    assert np.array_equal(points.get_ydata(), histories()["loss_history"])
    train, val = ax_acc.lines
    assert np.array_equal(train.get_xdata(), [0, 1, 2, 3])  # k-th check at epoch k, as in the course
    assert np.array_equal(val.get_ydata(), [0.1, 0.25, 0.4, 0.45])
    render(fig, tmp_path)


def test_plot_training_from_a_solver_like_object_uses_exact_epochs():
    class Trained:
        iterations_per_epoch = 20
        acc_iteration_history = [1, 20, 40, 60]

    t = Trained()
    for k, v in histories().items():
        setattr(t, k, v)
    fig = plot_training(t)
    train, _ = fig.axes[1].lines
    np.testing.assert_allclose(train.get_xdata(), [0.05, 1, 2, 3])


def test_plot_training_needs_histories():
    with pytest.raises(ValueError, match=r"plot_training: no 'val_acc_history' in dict"):
        plot_training({"loss_history": [1.0], "train_acc_history": [0.5]})
    with pytest.raises(ValueError, match=r"train_acc_history has 2 entries but val_acc_history has 1"):
        plot_training({"loss_history": [1.0], "train_acc_history": [0.5, 0.6], "val_acc_history": [0.5]})


def test_figures_are_not_registered_with_pyplot():
    # Built with Figure(), not plt.figure(): no hidden global state, no double
    # display in notebooks, and nothing left open to leak memory in loops.
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_training(histories())
    filter_grid(np.ones((2, 3, 3, 3)))
    confusion_matrix_figure(np.array([0, 1]), np.array([1, 1]))
    assert plt.get_fignums() == before


# --------------------------------------------------------------------------- course vis_utils


def test_visualize_grid_layout_and_per_image_scaling(rng):
    Xs = rng.standard_normal((5, 3, 4, 3)) * np.arange(1, 6)[:, None, None, None]
    grid = visualize_grid(Xs, ubound=255.0, padding=2)
    G = 3  # ceil(sqrt(5))
    assert grid.shape == (G * 3 + 2 * (G - 1), G * 4 + 2 * (G - 1), 3)
    assert grid.dtype == np.float64
    for n in range(5):
        r, c = divmod(n, G)
        tile = grid[r * 5:r * 5 + 3, c * 6:c * 6 + 4]
        assert tile.min() == 0 and np.isclose(tile.max(), 255)
        expected = 255 * (Xs[n] - Xs[n].min()) / (Xs[n].max() - Xs[n].min())
        np.testing.assert_allclose(tile, expected)
    # padding rows/columns and the four empty cells are 0
    assert not grid[3:5].any() and not grid[:, 4:6].any()
    assert not grid[10:, 6:].any()


def test_visualize_grid_constant_image_is_mid_grey_not_nan():
    grid = visualize_grid(np.ones((1, 2, 2, 1)), ubound=1.0)
    np.testing.assert_array_equal(grid, np.full((2, 2, 1), 0.5))


def test_visualize_grid_of_conv_filters_runs_on_a_model_layout(rng):
    w = rng.standard_normal((32, 3, 7, 7))          # (F, C, HH, WW) as in model.params['W1']
    grid = visualize_grid(w.transpose(0, 2, 3, 1))
    assert grid.shape == (6 * 7 + 5, 6 * 7 + 5, 3)
    assert 0 <= grid.min() and grid.max() <= 255


def test_vis_grid_scales_all_images_together():
    Xs = np.stack([np.zeros((2, 2, 1)), np.full((2, 2, 1), 4.0), np.full((2, 2, 1), 2.0)])
    grid = vis_grid(Xs)
    assert grid.shape == (2 * 3, 2 * 3, 1)              # G=2, each tile followed by a separator
    assert grid[0:2, 0:2].max() == 0                    # image 0 is the minimum
    assert (grid[0:2, 3:5] == 1).all()                  # image 1 the maximum
    assert (grid[3:5, 0:2] == 0.5).all()                # image 2 halfway
    assert (grid[2] == 0).all() and (grid[3:5, 3:5] == 0).all()   # separators and empty cell = min


def test_vis_nn_rows_of_images():
    rows = [[np.zeros((2, 3, 1)), np.full((2, 3, 1), -1.0)],
            [np.full((2, 3, 1), 0.5), np.zeros((2, 3, 1))]]
    grid = vis_nn(rows)
    assert grid.shape == (2 * 3, 2 * 4, 1)
    # separators are 1 before rescaling to [-1, 1] -> [0, 1]
    assert (grid[2] == 1).all() and (grid[:, 3] == 1).all()
    assert (grid[0:2, 4:7] == 0).all() and (grid[0:2, 0:3] == 0.5).all()
    assert (grid[3:5, 0:3] == 0.75).all()


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 3, 3)), r"shape \(N, H, W, C\)"),
    (np.zeros((0, 3, 3, 3)), "no images"),
    ([[1.0]], r"shape \(N, H, W, C\)"),
], ids=["3-D", "empty", "list"])
def test_visualize_grid_and_vis_grid_reject_bad_input(bad, match):
    for fn in (visualize_grid, vis_grid):
        with pytest.raises(ValueError, match=match):
            fn(bad)


def test_vis_nn_rejects_ragged_rows():
    with pytest.raises(ValueError, match="row 1 has 1 images but row 0 has 2"):
        vis_nn([[np.zeros((2, 2, 3))] * 2, [np.zeros((2, 2, 3))]])
    with pytest.raises(ValueError, match=r"rows\[0\]\[1\] has shape \(3, 2, 3\)"):
        vis_nn([[np.zeros((2, 2, 3)), np.zeros((3, 2, 3))]])
