"""Pictures of training: loss/accuracy curves, first-layer filters, confusion matrices.

Every function returns a :class:`matplotlib.figure.Figure` built with the
object-oriented API (``Figure()``, not ``pyplot``): nothing is shown, no
global pyplot state is touched and no backend is needed, so the functions
work the same in notebooks, scripts and tests. In a notebook, a returned
figure is displayed when it is the value of a cell; elsewhere save it with
``fig.savefig('curves.png')``.

This module does not import the solver: :func:`plot_training` reads the
history attributes by name from any object (or dict) that has them.

:func:`visualize_grid`, :func:`vis_grid` and :func:`vis_nn` are the course's
``cs231n.vis_utils`` helpers: they return image arrays (NHWC tiles laid out
in a grid), not figures, for ``plt.imshow``.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from .shapes import check_array, check_int

__all__ = [
    "plot_training",
    "make_grid",
    "filter_grid",
    "confusion_matrix",
    "confusion_matrix_figure",
    "visualize_grid",
    "vis_grid",
    "vis_nn",
]


def _history(source, name: str, required: bool = True):
    value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
    if value is None and required:
        raise ValueError(f"plot_training: no {name!r} in {type(source).__name__}; pass a Solver or a dict "
                         f"with 'loss_history', 'train_acc_history' and 'val_acc_history'")
    return value


def plot_training(source, *, figsize=(10, 4)) -> Figure:
    """Loss per iteration and train/validation accuracy per epoch, side by side.

    Parameters
    ----------
    source : Solver or dict
        Anything with ``loss_history`` (one loss per iteration) and
        ``train_acc_history`` / ``val_acc_history`` (one entry per accuracy
        check), as attributes or dict keys. If ``acc_iteration_history`` and
        ``iterations_per_epoch`` are present (a :class:`~cs231n_cnn.solver.Solver`
        has them) accuracies are placed at their exact epoch; otherwise the
        k-th check is drawn at epoch k, as in the course.
    figsize : tuple of float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: loss vs. iteration, and accuracy vs. epoch.
    """
    loss = np.asarray(_history(source, "loss_history"), dtype=float)
    train_acc = np.asarray(_history(source, "train_acc_history"), dtype=float)
    val_acc = np.asarray(_history(source, "val_acc_history"), dtype=float)
    if train_acc.shape != val_acc.shape:
        raise ValueError(f"plot_training: train_acc_history has {train_acc.size} entries but "
                         f"val_acc_history has {val_acc.size}")
    acc_it = _history(source, "acc_iteration_history", required=False)
    ipe = _history(source, "iterations_per_epoch", required=False)
    if acc_it is not None and ipe and len(acc_it) == train_acc.size:
        epochs = np.asarray(acc_it, dtype=float) / ipe
    else:
        epochs = np.arange(train_acc.size, dtype=float)

    fig = Figure(figsize=figsize, layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    iterations = np.arange(1, loss.size + 1)
    ax_loss.plot(iterations, loss, ".", markersize=2, alpha=0.5, label="minibatch loss")
    if loss.size >= 20:
        # A moving average shows the trend through minibatch noise.
        k = max(loss.size // 50, 5)
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        ax_loss.plot(iterations[k - 1:], smooth, "-", label=f"mean of {k}")
    ax_loss.set_xlabel("iteration")
    ax_loss.set_ylabel("loss")
    ax_loss.set_title("Training loss")
    ax_loss.legend(loc="upper right")
    ax_acc.plot(epochs, train_acc, "o-", label="train")
    ax_acc.plot(epochs, val_acc, "o-", label="val")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_title("Classification accuracy")
    ax_acc.legend(loc="lower right")
    return fig


def make_grid(w, *, padding: int = 1, ncols: int | None = None, pad_value: float = 1.0) -> np.ndarray:
    """Tile filters into one image, each filter scaled to [0, 1] on its own.

    Parameters
    ----------
    w : ndarray, shape (F, C, HH, WW)
        Filters (e.g. first-layer conv weights), C = 1 (grey) or 3 (RGB).
    padding : int
        Pixels between tiles (and around the grid).
    ncols : int or None
        Tiles per row (default ``ceil(sqrt(F))``).
    pad_value : float
        Value of the separating pixels, in [0, 1] (1 is white).

    Returns
    -------
    ndarray, shape (rows*(HH+padding)+padding, ncols*(WW+padding)+padding, C)
        float64 image in [0, 1]; filter f sits at row ``f // ncols``, column
        ``f % ncols``. Each filter is mapped by ``(w - min) / (max - min)``
        over its own C*HH*WW values, so colours compare within a filter, not
        across filters; a constant filter becomes 0.5.
    """
    check_array(w, "w", 4, layer="make_grid")
    F, C, HH, WW = w.shape
    if C not in (1, 3):
        raise ValueError(f"make_grid: filters must have C=1 (grey) or C=3 (RGB) channels, got C={C} "
                         f"(shape {w.shape}); show some channels, e.g. w[:, :3] or w[:, i:i+1]")
    if F == 0:
        raise ValueError("make_grid: w has no filters (F=0)")
    padding = check_int(padding, "padding", minimum=0, layer="make_grid")
    ncols = math.ceil(math.sqrt(F)) if ncols is None else check_int(ncols, "ncols", minimum=1, layer="make_grid")
    nrows = math.ceil(F / ncols)
    x = w.astype(np.float64)
    lo = x.min(axis=(1, 2, 3), keepdims=True)      # (F, 1, 1, 1)
    span = x.max(axis=(1, 2, 3), keepdims=True) - lo
    flat = span == 0
    x = np.where(flat, 0.5, (x - lo) / np.where(flat, 1.0, span))
    grid = np.full((nrows * (HH + padding) + padding, ncols * (WW + padding) + padding, C), float(pad_value))
    for f in range(F):
        r, c = divmod(f, ncols)
        top, left = padding + r * (HH + padding), padding + c * (WW + padding)
        grid[top:top + HH, left:left + WW] = x[f].transpose(1, 2, 0)  # (C, HH, WW) -> (HH, WW, C)
    return grid


def filter_grid(w, *, padding: int = 1, ncols: int | None = None, title: str | None = None,
                figsize=None) -> Figure:
    """Show filters (F, C, HH, WW) as one image: C=3 in colour, C=1 in grey.

    See :func:`make_grid` for the layout and the per-filter normalization.

    Returns
    -------
    matplotlib.figure.Figure
        One axes holding one image, without ticks.
    """
    grid = make_grid(w, padding=padding, ncols=ncols)
    if figsize is None:
        h, wd = grid.shape[:2]
        scale = 6 / max(h, wd)
        figsize = (max(wd * scale, 2), max(h * scale, 2))
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    if grid.shape[2] == 1:
        ax.imshow(grid[:, :, 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title if title is not None else f"{w.shape[0]} filters of size {w.shape[1]}x{w.shape[2]}x{w.shape[3]}")
    return fig


def _check_labels(y, name: str, fn: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise ValueError(f"{fn}: {name} must be a 1-D array of integer class labels, "
                         f"got shape {y.shape}, dtype {y.dtype}")
    return y.astype(np.int64)


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Count how often each true class is predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array of int, shape (N,)
        True and predicted labels in ``0 .. num_classes-1``.
    num_classes : int
        Number of classes K.

    Returns
    -------
    ndarray of int64, shape (K, K)
        ``M[i, j]`` = number of examples of true class i predicted as j.
        Rows sum to the class counts; the diagonal holds the correct ones,
        so ``M.trace() / N`` is the accuracy.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], 3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 1, 0]])
    """
    fn = "confusion_matrix"
    K = check_int(num_classes, "num_classes", minimum=1, layer=fn)
    t, p = _check_labels(y_true, "y_true", fn), _check_labels(y_pred, "y_pred", fn)
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true has {t.size} labels but y_pred has {p.size}")
    for name, y in (("y_true", t), ("y_pred", p)):
        bad = (y < 0) | (y >= K)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"{fn}: {name}[{i}] = {int(y[i])} is not a class in 0..{K - 1} (num_classes={K})")
    return np.bincount(t * K + p, minlength=K * K).reshape(K, K)


def confusion_matrix_figure(y_true, y_pred, class_names=None, *, num_classes: int | None = None,
                            normalize: bool = False, figsize=None) -> Figure:
    """Draw the confusion matrix as a labelled heat map.

    Parameters
    ----------
    y_true, y_pred : array of int, shape (N,)
        True and predicted labels.
    class_names : sequence of str or None
        Names of the K classes (e.g. CIFAR-10's); K is taken from here, else
        from ``num_classes``, else from the largest label + 1.
    num_classes : int or None
        K, when ``class_names`` is not given.
    normalize : bool
        Show each row as fractions of the true class (rows sum to 1)
        instead of counts.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with the matrix image (rows: true class, columns:
        predicted class) and a colorbar.
    """
    if class_names is not None:
        class_names = [str(c) for c in class_names]
        K = len(class_names)
        if num_classes is not None and num_classes != K:
            raise ValueError(f"confusion_matrix_figure: {K} class_names but num_classes={num_classes}")
    elif num_classes is not None:
        K = num_classes
    else:
        t = _check_labels(y_true, "y_true", "confusion_matrix_figure")
        p = _check_labels(y_pred, "y_pred", "confusion_matrix_figure")
        K = int(max(t.max(initial=0), p.max(initial=0))) + 1
    counts = confusion_matrix(y_true, y_pred, K)
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = counts / np.maximum(totals, 1)
    else:
        values = counts
    names = class_names if class_names is not None else [str(k) for k in range(K)]
    if figsize is None:
        side = min(max(4, 0.6 * K + 2), 12)
        figsize = (side + 1, side)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(values, cmap="Blues", vmin=0, interpolation="nearest")
    fig.colorbar(im, ax=ax, label="fraction of true class" if normalize else "count")
    ax.set_xticks(range(K), labels=names, rotation=45, ha="right")
    ax.set_yticks(range(K), labels=names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    n = counts.sum()
    ax.set_title(f"Confusion matrix (N={n}, accuracy {counts.trace() / n:.3f})" if n else "Confusion matrix")
    if K <= 20:
        top = values.max() if values.size else 0
        for i in range(K):
            for j in range(K):
                text = f"{values[i, j]:.2f}" if normalize else str(values[i, j])
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if top and values[i, j] > top / 2 else "black")
    return fig


def _rescale(a: np.ndarray, high: float) -> np.ndarray:
    """Map ``a`` linearly onto [0, high] (float64); a constant array becomes ``high / 2``.

    The course divides by ``max - min`` and so returns NaN for a constant
    tile (a dead filter, say); mid-grey says the same thing without NaN.
    """
    a = np.asarray(a, dtype=np.float64)
    lo, hi = a.min(), a.max()
    if hi == lo:
        return np.full(a.shape, high / 2)
    # Divide first: (max - lo) / (hi - lo) is exactly 1, so the result never exceeds ``high``.
    return (a - lo) / (hi - lo) * high


def _check_nhwc(Xs, fn: str) -> np.ndarray:
    if not isinstance(Xs, np.ndarray) or Xs.ndim != 4:
        raise ValueError(f"{fn}: Xs must be an array of images of shape (N, H, W, C), "
                         f"got {getattr(Xs, 'shape', type(Xs).__name__)}")
    if Xs.dtype.kind not in "iuf":
        raise ValueError(f"{fn}: Xs must hold numbers, got dtype {Xs.dtype}")
    if Xs.shape[0] == 0:
        raise ValueError(f"{fn}: Xs has no images (N=0)")
    return Xs


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile images into a square grid, each rescaled to [0, ubound] on its own (course semantics).

    Parameters
    ----------
    Xs : ndarray, shape (N, H, W, C)
        Images, channels last (e.g. ``model.params['W1'].transpose(0, 2, 3, 1)``
        to show conv filters).
    ubound : float
        Upper end of the output range.
    padding : int
        Pixels between neighbouring tiles (none around the edge).

    Returns
    -------
    grid : ndarray of float64, shape (G*H + (G-1)*padding, G*W + (G-1)*padding, C)
        With ``G = ceil(sqrt(N))``; image n sits at row ``n // G``, column
        ``n % G``. Each image is mapped by ``ubound * (img - min) / (max - min)``
        over its own values; padding and empty cells are 0. A constant image
        becomes ``ubound / 2`` (the course would give NaN).

    Examples
    --------
    >>> visualize_grid(np.arange(8.0).reshape(2, 2, 2, 1), ubound=1.0)[:, :, 0]
    array([[0.        , 0.33333333, 0.        , 0.        , 0.33333333],
           [0.66666667, 1.        , 0.        , 0.66666667, 1.        ],
           [0.        , 0.        , 0.        , 0.        , 0.        ],
           [0.        , 0.        , 0.        , 0.        , 0.        ],
           [0.        , 0.        , 0.        , 0.        , 0.        ]])
    """
    Xs = _check_nhwc(Xs, "visualize_grid")
    padding = check_int(padding, "padding", minimum=0, layer="visualize_grid")
    N, H, W, C = Xs.shape
    G = math.ceil(math.sqrt(N))
    grid = np.zeros((H * G + padding * (G - 1), W * G + padding * (G - 1), C))
    for n in range(N):
        r, c = divmod(n, G)
        top, left = r * (H + padding), c * (W + padding)
        grid[top:top + H, left:left + W] = _rescale(Xs[n], float(ubound))
    return grid


def vis_grid(Xs):
    """Tile images into a square grid, rescaled together to [0, 1] (course semantics).

    Parameters
    ----------
    Xs : ndarray, shape (N, H, W, C)

    Returns
    -------
    grid : ndarray of float64, shape (G*(H+1), G*(W+1), C)
        With ``G = ceil(sqrt(N))``; image n at row ``n // G``, column
        ``n % G``, each tile followed by a 1-pixel separator (so the grid ends
        with one). Separators and empty cells take the smallest value of
        ``Xs``; then the whole grid is mapped by one ``(g - min) / (max - min)``,
        so brightness compares across images (unlike :func:`visualize_grid`).
        A constant grid becomes 0.5.
    """
    Xs = _check_nhwc(Xs, "vis_grid")
    N, H, W, C = Xs.shape
    G = math.ceil(math.sqrt(N))
    grid = np.full((G * (H + 1), G * (W + 1), C), Xs.min(), dtype=np.float64)
    for n in range(N):
        r, c = divmod(n, G)
        grid[r * (H + 1):r * (H + 1) + H, c * (W + 1):c * (W + 1) + W] = Xs[n]
    return _rescale(grid, 1.0)


def vis_nn(rows):
    """Lay out a table of images (a list of rows of (H, W, C) images), rescaled together to [0, 1].

    Parameters
    ----------
    rows : sequence of sequences of ndarray, each of shape (H, W, C)
        ``rows[y][x]`` is drawn at row y, column x; every row has as many
        images as the first (e.g. a query image followed by its nearest
        neighbours).

    Returns
    -------
    grid : ndarray of float64, shape (R*(H+1), D*(W+1), C)
        R rows, D images per row, each tile followed by a 1-pixel separator
        of value 1 before rescaling (as in the course); the whole grid is
        then mapped by one ``(g - min) / (max - min)``. A constant grid
        becomes 0.5.
    """
    R = len(rows)
    if R == 0 or len(rows[0]) == 0:
        raise ValueError("vis_nn: rows must be a non-empty list of non-empty lists of (H, W, C) images")
    D = len(rows[0])
    first = np.asarray(rows[0][0])
    if first.ndim != 3:
        raise ValueError(f"vis_nn: images must have shape (H, W, C), got {first.shape}")
    H, W, C = first.shape
    grid = np.ones((R * (H + 1), D * (W + 1), C))
    for y, row in enumerate(rows):
        if len(row) != D:
            raise ValueError(f"vis_nn: row {y} has {len(row)} images but row 0 has {D}")
        for x, img in enumerate(row):
            img = np.asarray(img)
            if img.shape != (H, W, C):
                raise ValueError(f"vis_nn: rows[{y}][{x}] has shape {img.shape}, expected {(H, W, C)} "
                                 f"like rows[0][0]")
            grid[y * (H + 1):y * (H + 1) + H, x * (W + 1):x * (W + 1) + W] = img
    return _rescale(grid, 1.0)
