"""Checks for normalization and regularization layers: LRN, batch norm (plain and spatial), layer norm,
group norm, dropout."""

from __future__ import annotations

import numpy as np

from cs231n_cnn.grading import CheckFailure, check
from cs231n_cnn.grading.mistakes import matching, variants_of

from . import _helpers as h
from . import _reference as ref

EPS = 1e-5


def _forward_first(t, forward, args, expected, tol=1e-9):
    """Call the student's ``forward`` for a backward check's cache; fail with "see <forward>" if its out is wrong.

    A backward pass can only be judged on a right forward pass's cache, so a
    wrong ``out`` on this very input blames the forward function, not the
    backward one.
    """
    out, cache = h.forward(t, forward, *args)
    try:
        t.assert_close(out, expected, tol=tol, name="out")
    except CheckFailure as exc:
        name = forward.rsplit(".", 1)[-1]
        headline, _, details = str(exc).partition("\n")
        raise CheckFailure(f"see {name}: its out is wrong on this input ({headline})\n{details}") from None
    return cache


def _variants(mistakes, i):
    """The ``mistakes`` callable of gradient ``i`` from one returning ``{description: [dx, dgamma, dbeta]}``."""
    if mistakes is None:
        return None
    return lambda: {k: v[i] for k, v in mistakes().items() if v[i] is not None}


def _grad_parts(t, label, forward, backward, args, extra, reference, names, mistakes=None, factors=None):
    """Backward pass against numerical gradients of ``reference``, one part per gradient.

    ``args`` are the differentiable inputs (x first), ``extra`` the tuple of
    arguments passed after them to the student's forward pass (the
    hyperparameter dict; for group norm G and the dict). The forward pass's
    out is checked first (see :func:`_forward_first`). ``mistakes(dout)``:
    the known wrong backward passes on these inputs, ``{description: [one
    result per gradient, or None where the mistake leaves it right]}``.
    """
    out = reference(*args)
    dout = t.rng.standard_normal(out.shape)
    nums = ref.numerical_grads(reference, list(args), dout, range(len(names)))
    known = None if mistakes is None else (lambda: mistakes(dout))
    grads = None
    for i, (name, num) in enumerate(zip(names, nums)):
        with t.part(f"{label}: {name}"):
            if i == 0:
                cache = _forward_first(t, forward, (*args, *extra), out)
                got = t.call(backward, dout, cache)
                grads = (got,) if len(names) == 1 else h.unpack(got, ", ".join(names), backward)
            elif grads is None:
                raise CheckFailure(f"the forward or backward pass failed (see {names[0]})")
            t.assert_close(grads[i], num, tol=1e-6, name=name, mistakes=_variants(known, i), factors=factors)


# ---------------------------------------------------------------- LRN

LRN_CASES = [
    ("size 5", {"size": 5, "alpha": 0.5, "beta": 0.75, "k": 2.0}),
    ("even size 4 (window reaches further back)", {"size": 4, "alpha": 1.0, "beta": 0.6, "k": 1.5}),
]


def _lrn_args(p):
    return p["size"], p["alpha"], p["beta"], p["k"]


def _lrn_ref(p):
    return lambda x: ref.lrn(x, *_lrn_args(p))


@check("lrn", points=4)
def lrn(t):
    """Local response normalization: forward against a loop over channels, backward against numerical gradients."""
    for label, p in LRN_CASES:
        with t.part(f"forward, {label}"):
            x = 2 * t.rng.standard_normal((2, 7, 3, 3))
            out, _ = h.forward(t, "layers.lrn_forward", x, p)
            t.assert_close(out, _lrn_ref(p)(x), tol=1e-9, name="out",
                           mistakes=lambda x=x, p=p: ref.lrn_mistakes(x, *_lrn_args(p)))
    for label, p in LRN_CASES:
        x = 2 * t.rng.standard_normal((2, 6, 2, 3))
        _grad_parts(t, f"backward, {label}", "layers.lrn_forward", "layers.lrn_backward", [x], (p,),
                    _lrn_ref(p), ["dx"],
                    mistakes=lambda dout, x=x, p=p: ref.lrn_backward_mistakes(x, dout, *_lrn_args(p)))


# ---------------------------------------------------------------- batch norm

def _bn_inputs(t, N=6, D=4, scale=1.0):
    """x (N, D) with a different offset per feature, times ``scale``, and gamma, beta (D,)."""
    x = 3 * t.rng.standard_normal((N, D)) + t.rng.standard_normal(D)
    return scale * x, 1 + 0.5 * t.rng.standard_normal(D), t.rng.standard_normal(D)


# The known mistakes each comparison of batch norm's forward pass looks for (ids of ref.batchnorm_mistakes):
# only those that show on its input, and stay more than 100x its tolerance apart there.
BN_STD_MISTAKES = ("unbiased", "uncentred_var", "no_sqrt", "running_in_train")
BN_TRAIN_MISTAKES = ("unbiased", "uncentred_var", "no_sqrt", "eps_outside", "no_eps", "swapped_affine",
                     "no_affine", "no_beta", "running_in_train")
BN_TEST_MISTAKES = ("batch_in_test", "no_sqrt", "eps_outside", "no_eps", "swapped_affine", "no_affine", "no_beta")


@check("batchnorm_forward", points=4)
def batchnorm_forward(t):
    """Batch norm forward pass: train mode normalizes with batch statistics, test mode uses the running ones."""
    with t.part("train: every feature of the output has mean 0 and std 1 (gamma=1, beta=0)"):
        # var ~ 2500: eps (inside or outside the root, or left out) changes the std by < 1e-8, so only
        # mistakes of the statistics show here; the next part's small values show those of eps.
        x = 50 * t.rng.standard_normal((50, 4)) + 30
        out, _ = h.forward(t, "layers.batchnorm_forward", x, np.ones(4), np.zeros(4), {"mode": "train", "eps": EPS})
        out = t.assert_array(out, shape=x.shape, name="out")

        def unit(stat, which):
            return lambda: {k: stat(v) for k, v in ref.batchnorm_mistakes(x, np.ones(4), np.zeros(4), EPS,
                                                                          which).items()}
        t.assert_close(out.mean(axis=0), np.zeros(4), atol=1e-10, name="mean of out",
                       mistakes=unit(lambda v: v.mean(axis=0), ("running_in_train", "swapped_affine")))
        t.assert_close(out.std(axis=0), np.ones(4), tol=1e-6, name="std of out (biased, ddof=0)",
                       mistakes=unit(lambda v: v.std(axis=0), BN_STD_MISTAKES))
    with t.part("train: gamma and beta against the definition"):
        # Small values (variances ~1e-3), so that eps = 1e-5 inside or outside the root shows.
        x, gamma, beta = _bn_inputs(t, scale=0.01)
        out, _ = h.forward(t, "layers.batchnorm_forward", x, gamma, beta, {"mode": "train", "eps": EPS})
        t.assert_close(out, ref.batchnorm(x, gamma, beta, EPS), tol=1e-9, name="out",
                       mistakes=lambda: ref.batchnorm_mistakes(x, gamma, beta, EPS, BN_TRAIN_MISTAKES))
    with t.part("test: normalizes with running_mean and running_var"):
        x, gamma, beta = _bn_inputs(t)
        rm, rv = t.rng.standard_normal(4), 0.5 + t.rng.random(4)
        bn_param = {"mode": "test", "eps": EPS, "running_mean": rm, "running_var": rv}
        out, _ = h.forward(t, "layers.batchnorm_forward", x, gamma, beta, bn_param)
        t.assert_close(out, ref.batchnorm(x, gamma, beta, EPS, mean=rm, var=rv), tol=1e-9, name="out",
                       mistakes=lambda: ref.batchnorm_mistakes(x, gamma, beta, EPS, BN_TEST_MISTAKES, rm, rv))
    with t.part("train: the caller's running_mean and running_var arrays are not changed in place"):
        # The dict gets new arrays; an in-place update (running_mean *= momentum) would also
        # change an array the caller still holds, such as a checkpoint's copy.
        x, gamma, beta = _bn_inputs(t)
        bn_param = {"mode": "train", "eps": EPS, "momentum": 0.9, "running_mean": t.rng.standard_normal(4),
                    "running_var": 0.5 + t.rng.random(4)}
        t.call("layers.batchnorm_forward", x, gamma, beta, bn_param, check_unmodified=True)


@check("batchnorm_backward", points=4)
def batchnorm_backward(t):
    """Batch norm backward pass against numerical gradients: dx, dgamma, dbeta (train) and dx (test)."""
    _bn_backward_parts(t, "layers.batchnorm_backward")


@check("batchnorm_backward_alt", points=4)
def batchnorm_backward_alt(t):
    """Batch norm backward pass in the simplified closed form, from batchnorm_forward's cache: numerical gradients."""
    _bn_backward_parts(t, "layers.batchnorm_backward_alt")


# The known mistakes of batch norm's backward pass looked for (ids of ref.batchnorm_backward_mistakes).
BN_BACKWARD_MISTAKES = ("no_var_term", "no_mean_term", "constant_stats", "var_term_doubled", "no_gamma", "no_std",
                        "no_one_over_n", "no_n_on_dout", "dgamma_x", "dgamma_mean", "dbeta_mean", "dgamma_axis1",
                        "dbeta_axis1")
BN_BACKWARD_TEST_MISTAKES = ("test_train_formula", "test_no_gamma", "no_std")


def _bn_backward_parts(t, backward):
    """Four parts: dx, dgamma, dbeta in train mode and dx in test mode, against numerical gradients."""
    x, gamma, beta = _bn_inputs(t)
    N = x.shape[0]
    _grad_parts(t, "train", "layers.batchnorm_forward", backward, [x, gamma, beta],
                ({"mode": "train", "eps": EPS},), lambda *a: ref.batchnorm(*a, EPS), ["dx", "dgamma", "dbeta"],
                mistakes=lambda dout: ref.batchnorm_backward_mistakes(x, gamma, EPS, dout, BN_BACKWARD_MISTAKES),
                factors={"N, the batch size": N})
    with t.part("test: dx (running statistics are constants)"):
        x, gamma, beta = _bn_inputs(t)
        rm, rv = t.rng.standard_normal(4), 0.5 + t.rng.random(4)
        dout = t.rng.standard_normal(x.shape)
        (dx_num,) = ref.numerical_grads(lambda v: ref.batchnorm(v, gamma, beta, EPS, mean=rm, var=rv),
                                        [x], dout, [0])
        bn_param = {"mode": "test", "eps": EPS, "running_mean": rm, "running_var": rv}
        cache = _forward_first(t, "layers.batchnorm_forward", (x, gamma, beta, bn_param),
                               ref.batchnorm(x, gamma, beta, EPS, mean=rm, var=rv))
        dx = h.unpack(t.call(backward, dout, cache), "dx, dgamma, dbeta", backward)[0]
        t.assert_close(dx, dx_num, tol=1e-6, name="dx", mistakes=_variants(
            lambda: ref.batchnorm_backward_mistakes(x, gamma, EPS, dout, BN_BACKWARD_TEST_MISTAKES, rm, rv), 0))


@check("batchnorm_running_stats", points=3)
def batchnorm_running_stats(t):
    """Batch norm running statistics after two training steps of a small BN-FC ConvNet (momentum 0.9)."""
    # A layer's bn_param is updated in place, which a check cannot see through
    # a call; a model keeps it, in model.bn_params. BN comes right after the
    # input, so what it normalizes is the grader's X itself: the expected
    # statistics never depend on numbers the student's code reports (such as
    # weights of a layer before it). On (N, 6, 1, 1) images batch norm is
    # spatial, with the statistics of ordinary batch norm over the 6 channels;
    # the model's initial bn_param has no running arrays, so both start at 0.
    parts = ("running_mean", "running_var")
    batches = [(3 * t.rng.standard_normal((8, 6, 1, 1)) + t.rng.standard_normal((1, 6, 1, 1)),
                t.rng.integers(0, 3, size=8)) for _ in range(2)]
    expected = {k: np.zeros(6) for k in parts}
    for X, _ in batches:
        a = X.reshape(len(X), 6)
        expected["running_mean"] = 0.9 * expected["running_mean"] + 0.1 * a.mean(axis=0)
        expected["running_var"] = 0.9 * expected["running_var"] + 0.1 * ((a - a.mean(axis=0)) ** 2).mean(axis=0)
    model = got = None

    def mistakes(i):
        # The batches as the (N, 6) rows batch norm sees; the test-mode pass normalizes the first batch again.
        rows = [X.reshape(len(X), 6) for X, _ in batches]
        return lambda: {k: v[i] for k, v in ref.batchnorm_running_mistakes(rows, rows[0], 0.9, EPS).items()}

    def bn_param():
        bn_params = t.get_attr(model, "bn_params")
        if not isinstance(bn_params, dict) or len(bn_params) != 1:
            raise CheckFailure("model.bn_params should hold the one batch norm layer's bn_param")
        bn = next(iter(bn_params.values()))
        if not isinstance(bn, dict) or any(k not in bn for k in parts):
            raise CheckFailure("the batch norm layer's bn_param has no running_mean/running_var after training")
        return bn

    with t.part(f"{parts[0]} after two steps"):
        model = t.call("models.ConvNet", "INPUT[1x1x6] -> BN -> FC", num_classes=3,
                       weight_scale=1.0, dtype="float64", seed=0)
        for X, y in batches:
            t.call_method(model, "loss", X, y)
        got = bn_param()
        t.assert_close(got["running_mean"], expected["running_mean"], tol=1e-9, name="running_mean",
                       mistakes=mistakes(0))
    with t.part(f"{parts[1]} after two steps"):
        if got is None:
            raise CheckFailure("training the model failed (see running_mean)")
        t.assert_close(got["running_var"], expected["running_var"], tol=1e-9, name="running_var (biased)",
                       mistakes=mistakes(1))
    with t.part("a test-mode pass leaves the running statistics unchanged"):
        if got is None:
            raise CheckFailure("training the model failed (see running_mean)")
        t.call_method(model, "loss", batches[0][0])           # no labels: test mode
        after = bn_param()
        for i, k in enumerate(parts, start=2):
            t.assert_close(after[k], expected[k], tol=1e-9, name=f"{k} after a test-mode pass", mistakes=mistakes(i))


SPATIAL_BN_MISTAKES = ("no_transpose", "back_no_transpose", "reshape_c_first", "instance", "per_position")


@check("spatial_batchnorm", points=4)
def spatial_batchnorm(t):
    """Spatial batch norm: forward per channel over N, H, W; backward against numerical gradients."""
    with t.part("forward, train mode"):
        x = 2 * t.rng.standard_normal((3, 3, 4, 5)) + t.rng.standard_normal((1, 3, 1, 1))
        gamma, beta = 1 + 0.5 * t.rng.standard_normal(3), t.rng.standard_normal(3)
        out, _ = h.forward(t, "layers.spatial_batchnorm_forward", x, gamma, beta, {"mode": "train", "eps": EPS})
        t.assert_close(out, ref.spatial_batchnorm(x, gamma, beta, EPS), tol=1e-9, name="out",
                       mistakes=lambda: ref.spatial_batchnorm_mistakes(x, gamma, beta, EPS, SPATIAL_BN_MISTAKES))
    x = 2 * t.rng.standard_normal((2, 3, 3, 4))
    gamma, beta = 1 + 0.5 * t.rng.standard_normal(3), t.rng.standard_normal(3)
    _grad_parts(t, "backward", "layers.spatial_batchnorm_forward", "layers.spatial_batchnorm_backward",
                [x, gamma, beta], ({"mode": "train", "eps": EPS},), lambda *a: ref.spatial_batchnorm(*a, EPS),
                ["dx", "dgamma", "dbeta"],
                mistakes=lambda dout: ref.spatial_batchnorm_backward_mistakes(
                    x, gamma, EPS, dout, ("no_transpose", "back_no_transpose")))


# ---------------------------------------------------------------- layer norm

def _ln_inputs(t, N=5, D=6, scale=3.0):
    """x whose examples have different means and scales, and per-feature gamma, beta."""
    x = scale * (1 + t.rng.random((N, 1))) * t.rng.standard_normal((N, D)) + 4 * t.rng.standard_normal((N, 1))
    return x, 1 + 0.5 * t.rng.standard_normal(D), t.rng.standard_normal(D)


LN_MISTAKES = ("batch_axis", "unbiased", "uncentred_var", "no_sqrt", "eps_outside", "no_eps", "swapped_affine",
               "no_affine", "no_beta")
# Where eps is large next to the variance (or exactly the default), for layer and group norm.
EPS_MISTAKES = ("eps_outside", "no_eps", "eps_ignored")


@check("layernorm_forward", points=4)
def layernorm_forward(t):
    """Layer norm forward pass: each example normalized over its own D features, independent of its batch."""
    fn = "layers.layernorm_forward"
    with t.part("every example of the output has mean 0 and std 1 (gamma=1, beta=0)"):
        # var ~ 2500-10000: eps does not show in the std here (see the next parts).
        x, _, _ = _ln_inputs(t, N=4, D=50, scale=50.0)
        out, _ = h.forward(t, fn, x, np.ones(50), np.zeros(50), {"eps": EPS})
        out = t.assert_array(out, shape=x.shape, name="out")

        def unit(stat, which):
            return lambda: {k: stat(v) for k, v in ref.layernorm_mistakes(x, np.ones(50), np.zeros(50), EPS,
                                                                          which).items()}
        t.assert_close(out.mean(axis=1), np.zeros(4), atol=1e-10, name="mean of each example's out (axis 1)",
                       mistakes=unit(lambda v: v.mean(axis=1), ("batch_axis", "swapped_affine")))
        t.assert_close(out.std(axis=1), np.ones(4), tol=1e-6, name="std of each example's out (biased, ddof=0)",
                       mistakes=unit(lambda v: v.std(axis=1), ("unbiased", "uncentred_var", "no_sqrt")))
    with t.part("gamma and beta against the definition; x, gamma and beta are not modified"):
        x, gamma, beta = _ln_inputs(t, scale=0.01)         # variance ~1e-3: eps inside or outside the root shows
        out, _ = h.unpack(t.call(fn, x, gamma, beta, {"eps": EPS}, check_unmodified=True), "out, cache", fn)
        t.assert_close(out, ref.layernorm(x, gamma, beta, EPS), tol=1e-9, name="out",
                       mistakes=lambda: ref.layernorm_mistakes(x, gamma, beta, EPS, LN_MISTAKES))
    with t.part("ln_param['eps'] is used, and an empty ln_param means eps = 1e-5"):
        x, gamma, beta = _ln_inputs(t, scale=0.01)          # variance ~1e-4: eps = 1e-5 shows
        out, _ = h.forward(t, fn, x, gamma, beta, {"eps": 0.5})
        t.assert_close(out, ref.layernorm(x, gamma, beta, 0.5), tol=1e-9, name="out with eps = 0.5",
                       mistakes=lambda: ref.layernorm_mistakes(x, gamma, beta, 0.5, EPS_MISTAKES))
        out, _ = h.forward(t, fn, x, gamma, beta, {})
        t.assert_close(out, ref.layernorm(x, gamma, beta, 1e-5), tol=1e-9, name="out with ln_param = {}",
                       mistakes=lambda: ref.layernorm_mistakes(x, gamma, beta, 1e-5, EPS_MISTAKES))
    with t.part("an example's output does not depend on its batch-mates (alone = inside its batch)"):
        x, gamma, beta = _ln_inputs(t)
        in_batch, _ = h.forward(t, fn, x, gamma, beta, {"eps": EPS})
        alone, _ = h.forward(t, fn, x[:1], gamma, beta, {"eps": EPS})
        in_batch = t.assert_array(in_batch, shape=x.shape, name="out of the batch")
        alone = t.assert_array(alone, shape=(1, x.shape[1]), name="out of example 0 alone")
        if not np.allclose(alone[0], in_batch[0], rtol=1e-9, atol=1e-12):
            raise CheckFailure("example 0 gives a different output alone than inside its batch: layer norm must "
                               "normalize each example over its own D features (axis 1), not each feature over "
                               "the batch (axis 0)")
        t.assert_close(alone, ref.layernorm(x[:1], gamma, beta, EPS), tol=1e-9, name="out of example 0 alone")


LN_BACKWARD_MISTAKES = ("batch_axis", "no_var_term", "no_mean_term", "constant_stats", "var_term_doubled",
                        "no_gamma", "no_std", "dgamma_axis1", "dbeta_axis1")


@check("layernorm_backward", points=3)
def layernorm_backward(t):
    """Layer norm backward pass against numerical gradients: dx, dgamma, dbeta."""
    x, gamma, beta = _ln_inputs(t, N=4, D=5)                 # N != D: an axis mix-up changes the shapes
    _grad_parts(t, "N=4 examples of D=5 features", "layers.layernorm_forward", "layers.layernorm_backward",
                [x, gamma, beta], ({"eps": EPS},), lambda *a: ref.layernorm(*a, EPS), ["dx", "dgamma", "dbeta"],
                mistakes=lambda dout: ref.layernorm_backward_mistakes(x, gamma, EPS, dout, LN_BACKWARD_MISTAKES))


# ---------------------------------------------------------------- group norm

def _gn_inputs(t, shape=(2, 6, 3, 4)):
    """x with a different offset per channel and example, and gamma, beta of shape (1, C, 1, 1)."""
    N, C = shape[:2]
    x = 2 * t.rng.standard_normal(shape) + 3 * t.rng.standard_normal((N, C, 1, 1))
    return x, 1 + 0.5 * t.rng.standard_normal((1, C, 1, 1)), t.rng.standard_normal((1, C, 1, 1))


# The known mistakes of group norm's forward pass looked for (ids of ref.spatial_groupnorm_mistakes).
GN_GROUPING = ("swapped_groups", "strided_groups", "batch_groups", "instance", "layer")
GN_STATS = ("unbiased", "uncentred_var", "no_sqrt")
GN_AFFINE = ("swapped_affine", "no_affine", "no_beta")


def _known_mistake(t, got, expected, tol, name, mistakes):
    """The message naming the one known mistake ``got`` matches, else None.

    For a part whose own test is not a plain comparison: the comparison
    with the definition runs (so the release records the variants, as for
    any comparison) and only its naming is kept.
    """
    try:
        t.assert_close(got, expected, tol=tol, name=name, mistakes=mistakes)
    except CheckFailure as exc:
        g, e = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        return str(exc) if len(matching(g, variants_of(mistakes), e, tol)) == 1 else None
    return None


@check("spatial_groupnorm_forward", points=4)
def spatial_groupnorm_forward(t):
    """Group norm forward pass: each example's groups of C/G consecutive channels normalized over (C/G, H, W)."""
    fn = "layers.spatial_groupnorm_forward"
    with t.part("G=2 groups of C=6 channels: each example's group has mean 0 and std 1 (gamma=1, beta=0)"):
        x, _, _ = _gn_inputs(t)
        N, C, G = x.shape[0], x.shape[1], 2
        ones, zeros = np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1))
        out, _ = h.forward(t, fn, x, ones, zeros, G, {"eps": EPS})
        out = t.assert_array(out, shape=x.shape, name="out")
        which = GN_GROUPING + GN_STATS + ("eps_outside", "swapped_affine")
        named = _known_mistake(t, out, ref.spatial_groupnorm(x, ones, zeros, G, EPS), 1e-9, "out",
                               lambda: ref.spatial_groupnorm_mistakes(x, ones, zeros, G, EPS, which))
        rows = out.reshape(N, G, -1)                          # one row per (example, group)
        means = rows.mean(axis=2)
        if not np.all(np.abs(means) <= 1e-8):
            n, g = (int(i) for i in np.unravel_index(np.argmax(np.abs(means)), means.shape))
            size = C // G
            raise CheckFailure((f"{named}\n" if named else "") +
                               f"the output of example {n}, group {g} (channels {g * size} to {(g + 1) * size - 1}) "
                               f"has mean {means[n, g]:.3g}, not 0: a group is C/G = {size} consecutive channels of "
                               f"one example, normalized together over those channels and all H*W positions")
        if named:
            raise CheckFailure(named)
        t.assert_close(rows.std(axis=2), np.ones((N, G)), tol=1e-6, name="std of each example's group")
    with t.part("G=2: gamma and beta of shape (1, C, 1, 1) against the definition; inputs are not modified"):
        x, gamma, beta = _gn_inputs(t)
        x = 0.01 * x                                          # variance ~1e-3: eps inside or outside the root shows
        out, _ = h.unpack(t.call(fn, x, gamma, beta, 2, {"eps": EPS}, check_unmodified=True), "out, cache", fn)
        t.assert_close(out, ref.spatial_groupnorm(x, gamma, beta, 2, EPS), tol=1e-9, name="out",
                       mistakes=lambda: ref.spatial_groupnorm_mistakes(
                           x, gamma, beta, 2, EPS, GN_GROUPING + GN_STATS + GN_AFFINE + ("eps_outside", "no_eps")))
    with t.part("G=1 (layer norm over C, H, W) and G=C (instance norm) against the definition"):
        x, gamma, beta = _gn_inputs(t)
        # At G=1 "C/G groups of G channels" is instance norm, at G=C it is layer norm: the same result under two
        # names, so only the grouping mistakes that stay apart are looked for here (the first part names the rest).
        for G, grouping in ((1, ("instance", "batch_groups")), (x.shape[1], ("layer", "batch_groups"))):
            out, _ = h.forward(t, fn, x, gamma, beta, G, {"eps": EPS})
            t.assert_close(out, ref.spatial_groupnorm(x, gamma, beta, G, EPS), tol=1e-9, name=f"out with G={G}",
                           mistakes=lambda G=G, which=grouping + GN_STATS + GN_AFFINE:
                           ref.spatial_groupnorm_mistakes(x, gamma, beta, G, EPS, which))
    with t.part("gn_param['eps'] is used, and an empty gn_param means eps = 1e-5"):
        x, gamma, beta = _gn_inputs(t)
        x = 0.01 * (x - x.mean(axis=(1, 2, 3), keepdims=True))   # variance ~1e-4: eps = 1e-5 shows
        out, _ = h.forward(t, fn, x, gamma, beta, 3, {"eps": 0.5})
        t.assert_close(out, ref.spatial_groupnorm(x, gamma, beta, 3, 0.5), tol=1e-9, name="out with eps = 0.5",
                       mistakes=lambda: ref.spatial_groupnorm_mistakes(x, gamma, beta, 3, 0.5, EPS_MISTAKES))
        out, _ = h.forward(t, fn, x, gamma, beta, 3, {})
        t.assert_close(out, ref.spatial_groupnorm(x, gamma, beta, 3, 1e-5), tol=1e-9, name="out with gn_param = {}",
                       mistakes=lambda: ref.spatial_groupnorm_mistakes(x, gamma, beta, 3, 1e-5, EPS_MISTAKES))


GN_BACKWARD_MISTAKES = ("no_var_term", "no_mean_term", "constant_stats", "var_term_doubled", "no_gamma", "no_std",
                        "flat_dgamma", "flat_dbeta", "dgamma_x")


@check("spatial_groupnorm_backward", points=3)
def spatial_groupnorm_backward(t):
    """Group norm backward pass against numerical gradients: dx, and dgamma, dbeta of shape (1, C, 1, 1)."""
    x, gamma, beta = _gn_inputs(t, (2, 6, 2, 3))
    _grad_parts(t, "G=3 groups of C=6 channels", "layers.spatial_groupnorm_forward",
                "layers.spatial_groupnorm_backward", [x, gamma, beta], (3, {"eps": EPS}),
                lambda x, gamma, beta: ref.spatial_groupnorm(x, gamma, beta, 3, EPS), ["dx", "dgamma", "dbeta"],
                mistakes=lambda dout: ref.spatial_groupnorm_backward_mistakes(x, gamma, 3, EPS, dout,
                                                                              GN_BACKWARD_MISTAKES))


# ---------------------------------------------------------------- dropout

def _kept(t, out, x, p, what):
    """The mask ``out != 0`` of a train-mode ``out``, checked to be a plausible dropout mask of keep probability p.

    The mask comes from the student's output, so before anything is compared
    against it, it must look like one: the right shape, about a fraction p
    kept (an all-zero output has no kept units to get wrong), and the kept
    units equal to x / p, the dropped ones exactly 0.
    """
    out = t.assert_array(out, shape=x.shape, name=f"out ({what})")
    mask = out != 0
    _fraction_kept(out, x, p, f" ({what})")
    # The scale of the kept units, from the student's own output: a known wrong one is named.
    scale = out[mask] / x[mask]
    for wrong, text in ((1.0, "are x itself: they are not divided by p (inverted dropout scales at train time, so "
                              "that test mode is the identity)"),
                        (p, "are x * p: multiplied by the keep probability p, not divided by it")):
        if np.allclose(scale, wrong, rtol=1e-12, atol=0):
            raise CheckFailure(f"kept values ({what}): the kept units {text}\nfix: {DROPOUT_FIX}")
    t.assert_close(out[mask], x[mask] / p, tol=1e-12, name=f"kept values ({what})")
    return mask


DROPOUT_FIX = "mask = (rng.random(x.shape) < p) / p; out = x * mask (keep the scaled mask in the cache)"


def _fraction_kept(out, x, p, what=""):
    """Fail unless a fraction about p of ``out``'s units is nonzero; name the common wrong fractions."""
    kept = float(np.mean(out != 0))
    # 10,000 units: the standard deviation of the fraction is 0.0046.
    if abs(kept - p) <= 0.02:
        return
    head = f"with p = {p} a fraction {kept:.3f} of the units was kept{what}"
    if abs(kept - (1 - p)) <= 0.02:
        scale = np.median(out[out != 0] / x[out != 0])
        if np.isclose(scale, 1 / (1 - p), rtol=1e-9):
            raise CheckFailure(f"{head}, each scaled by 1/(1 - p): p is used as the DROP probability (PyTorch's "
                               f"meaning), but here p is the probability of keeping a unit\nfix: {DROPOUT_FIX}")
        raise CheckFailure(f"{head}, about 1 - p: the mask keeps a unit with probability 1 - p "
                           f"(rng.random(...) > p), not p\nfix: {DROPOUT_FIX}")
    if kept == 1 and np.array_equal(out, x):
        raise CheckFailure(f"{head}: out = x, train mode never applies the mask\nfix: {DROPOUT_FIX}")
    raise CheckFailure(f"{head}; expected about {p}")


@check("dropout", points=6)
def dropout(t):
    """Inverted dropout with keep probability p: mask statistics, scaling, seeding, test mode, backward."""
    p, seed = 0.3, 231
    x = 1 + t.rng.random((100, 100))           # no zeros, so out != 0 marks exactly the kept units
    param = {"mode": "train", "p": p, "seed": seed}
    out = mask = None
    with t.part("train: the fraction of units kept is p (p is the KEEP probability)"):
        out, _ = h.forward(t, "layers.dropout_forward", x, param)
        out = t.assert_array(out, shape=x.shape, name="out")
        _fraction_kept(out, x, p)
    with t.part("train: kept units are x / p, dropped units 0"):
        if out is None:
            raise CheckFailure("the forward pass failed (see the fraction kept)")
        mask = _kept(t, out, x, p, f"seed {seed}")
    with t.part("train: the same seed gives the same mask"):
        if mask is None:
            raise CheckFailure("the forward pass failed (see the fraction kept and the kept values)")
        again, _ = h.forward(t, "layers.dropout_forward", x, param)
        if not np.array_equal(_kept(t, again, x, p, f"seed {seed} again"), mask):
            raise CheckFailure("two calls with the same dropout_param['seed'] dropped different units")
    with t.part("train: another seed, or no seed, gives another mask"):
        if mask is None:
            raise CheckFailure("the forward pass failed (see the fraction kept and the kept values)")
        masks = {f"seed {seed}": mask}
        for what, s in ((f"seed {seed + 1}", seed + 1), ("seed None", None), ("seed None, second call", None)):
            out, _ = h.forward(t, "layers.dropout_forward", x, {"mode": "train", "p": p, "seed": s})
            m = _kept(t, out, x, p, what)
            # Two independent masks of 10,000 units agree everywhere with probability ~0.
            same = next((k for k, v in masks.items() if np.array_equal(v, m)), None)
            if same is not None:
                raise CheckFailure(f"{what} dropped exactly the units {same} did: the mask must come from "
                                   f"np.random.default_rng(dropout_param['seed']), not from a fixed seed")
            masks[what] = m
    with t.part("backward uses the forward mask: dx = dout * mask (no seed, so a redrawn mask differs)"):
        # Without a seed a mask drawn again in the backward pass differs from the forward one.
        out, cache = h.forward(t, "layers.dropout_forward", x, {"mode": "train", "p": p, "seed": None})
        m = _kept(t, out, x, p, "seed None")
        dout = t.rng.standard_normal(x.shape)
        dx = t.assert_array(t.call("layers.dropout_backward", dout, cache), shape=x.shape, name="dx")
        used = dx != 0
        if np.any(used & ~m) or np.any(~used & m & (dout != 0)):
            raise CheckFailure(f"dx is nonzero where the forward pass dropped a unit, or zero where it kept one "
                               f"({int(np.sum(used != (m & (dout != 0))))} of {m.size} units): dropout_backward "
                               f"must use the mask saved in the cache, not draw a new one")
        if np.allclose(dx, dout * m, rtol=1e-12, atol=0):
            raise CheckFailure("dx = dout * mask without the 1/p: the backward pass must scale the gradient as the "
                               "forward pass scaled x (dx = dout * mask / p when out = x * mask / p)"
                               f"\nfix: {DROPOUT_FIX}; dropout_backward returns dout * mask")
        t.assert_close(dx, dout * m / p, tol=1e-12, name="dx")
    with t.part("test mode: forward and backward are the identity"):
        test = {"mode": "test", "p": p, "seed": seed}
        out_test, cache_test = h.forward(t, "layers.dropout_forward", x, test)
        out_test = t.assert_array(out_test, shape=x.shape, name="out in test mode")
        if np.allclose(out_test, x * p, rtol=1e-12, atol=0):
            raise CheckFailure("test mode returns x * p: with inverted dropout the scaling happens at train time "
                               "(x * mask / p), so test mode is the identity\nfix: test mode: out = x.copy()")
        if abs(float(np.mean(out_test != 0)) - p) <= 0.02:
            raise CheckFailure(f"test mode drops units (a fraction {float(np.mean(out_test != 0)):.3f} is kept): "
                               "dropout must be the identity at test time\nfix: draw and apply the mask only when "
                               "dropout_param['mode'] == 'train'; test mode: out = x.copy()")
        t.assert_close(out_test, x, tol=0, name="out in test mode")
        dout = t.rng.standard_normal(x.shape)
        t.assert_close(t.call("layers.dropout_backward", dout, cache_test), dout, tol=0, name="dx in test mode")
