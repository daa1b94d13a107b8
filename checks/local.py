"""Checks for the locally connected layer (a convolution without parameter sharing)."""

from __future__ import annotations

from cs231n_cnn.grading import check

from . import _helpers as h
from . import _reference as ref

# (label, x shape, (F, HH, WW), stride, pad); w has shape (H_out, W_out, F, C, HH, WW).
FORWARD_CASES = [
    ("3x3 filters, stride 1, pad 1", (2, 3, 4, 4), (2, 3, 3), 1, 1),
    ("non-square 3x2 filters, stride 2", (2, 2, 5, 6), (3, 3, 2), 2, 0),
    ("1x1 filters, stride 2", (1, 3, 5, 5), (2, 1, 1), 2, 0),
]
BACKWARD_CASES = [
    ("3x3 filters, stride 1, pad 1", (2, 2, 4, 4), (2, 3, 3), 1, 1),
    ("non-square 3x2 filters, stride 2", (1, 2, 5, 6), (2, 3, 2), 2, 0),
]


def _inputs(t, xs, fshape, s, p):
    (_, C, H, W), (F, HH, WW) = xs, fshape
    H_out, W_out = (H - HH + 2 * p) // s + 1, (W - WW + 2 * p) // s + 1
    x = t.rng.standard_normal(xs)
    w = t.rng.standard_normal((H_out, W_out, F, C, HH, WW))
    b = t.rng.standard_normal((H_out, W_out, F))
    return x, w, b


@check("locally_connected_forward", points=3)
def locally_connected_forward(t):
    """Locally connected forward pass against a loop over output positions."""
    for label, xs, fs, s, p in FORWARD_CASES:
        with t.part(label):
            x, w, b = _inputs(t, xs, fs, s, p)
            out, _ = h.forward(t, "layers.locally_connected_forward", x, w, b, {"stride": s, "pad": p})
            t.assert_close(out, ref.local(x, w, b, s, p), tol=1e-9, name="out",
                           mistakes=lambda: ref.local_forward_mistakes(x, w, b, s, p))


@check("locally_connected_backward", points=6)
def locally_connected_backward(t):
    """Locally connected backward pass against numerical gradients: dx, dw, db.

    A part whose gradient is wrong while the forward pass it called for the
    cache is wrong too says ``see locally_connected_forward: ...``.
    """
    fwd = "layers.locally_connected_forward"
    for label, xs, fs, s, p in BACKWARD_CASES:
        x, w, b = _inputs(t, xs, fs, s, p)
        dout = t.rng.standard_normal(ref.local(x, w, b, s, p).shape)
        nums = ref.numerical_grads(lambda *a: ref.local(*a, s, p), [x, w, b], dout, [0, 1, 2])
        variants = {}

        def mistakes(i, x=x, w=w, b=b, s=s, p=p, dout=dout, variants=variants):
            def compute():
                if not variants:
                    variants.update(ref.local_backward_mistakes(x, w, b, s, p, dout))
                return {k: v[i] for k, v in variants.items()}
            return compute

        grads = problem = None
        for i, (name, num) in enumerate(zip(("dx", "dw", "db"), nums)):
            with t.part(f"{label}: {name}"):
                if i == 0:
                    out, cache = h.forward(t, fwd, x, w, b, {"stride": s, "pad": p})
                    problem = h.first_problem(fwd, lambda: t.assert_close(
                        out, ref.local(x, w, b, s, p), tol=1e-9, name="out",
                        mistakes=lambda: ref.local_forward_mistakes(x, w, b, s, p)))
                    grads = h.unpack(t.call("layers.locally_connected_backward", dout, cache), "dx, dw, db",
                                     "layers.locally_connected_backward")
                else:
                    t.needs(grads, f"{label}: dx")
                with h.blamed(problem):
                    t.assert_close(grads[i], num, tol=1e-6, name=name, mistakes=mistakes(i))
