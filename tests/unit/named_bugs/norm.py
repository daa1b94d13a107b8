"""Normalization layers (checks/norm.py): the mistakes students make in cs231n_cnn/layers/norm.py and lrn.py."""

from . import Bug, Edit

M = "cs231n_cnn.layers.norm"
LRN_SCALE = "scale = k + (alpha / size) * window_sq"
LRN_OUT = "out = x * scale ** (-beta)"
LRN_WINDOW = "_channel_window_sum(x * x, size // 2, (size - 1) // 2)"
LRN_DX = "dx = dout * scale_pow - (2 * alpha * beta / size) * x * window"
BN_DX = "dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std"
ALT_DX = "dx = (1 / N) * gamma / std * (N * dout - dbeta - x_hat * dgamma)"
RUN_MEAN = "running_mean = momentum * running_mean + (1 - momentum) * mean"
RUN_VAR = "running_var = momentum * running_var + (1 - momentum) * var"
SBN_IN = "x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)"
SBN_OUT = "out = np.ascontiguousarray(out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2))"
SBN_DOUT = "dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)"
SBN_DX = "dx = np.ascontiguousarray(dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2))"
LN_VAR = "var = x.var(axis=1, keepdims=True)"
LN_DX = "dx = (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / std"
GN_ROWS = "x_groups = x.reshape(N, G, C // G * H * W)"
GN_DX = "dx = (g - g.mean(axis=2, keepdims=True) - xh * (g * xh).mean(axis=2, keepdims=True)) / std"
STD = "std = np.sqrt(var + eps)"


def _e(function, old, new, count=1):
    # Local response normalization has a module of its own.
    return Edit("cs231n_cnn.layers.lrn" if function.startswith("lrn_") else M, function, old, new, count)


BUGS = [
    # ------------------------------------------------------------ LRN
    Bug("lrn-alpha-not-divided", "lrn", (_e("lrn_forward", LRN_SCALE, "scale = k + alpha * window_sq"),),
        "alpha is not divided by size: scale = k + alpha * (sum of x**2 over the window)",
        why="the AlexNet paper's formula under PyTorch's alpha"),
    Bug("lrn-k-missing", "lrn", (_e("lrn_forward", LRN_SCALE, "scale = (alpha / size) * window_sq"),),
        "k is missing"),
    Bug("lrn-power-sign", "lrn", (_e("lrn_forward", LRN_OUT, "out = x * scale ** beta"),),
        "the power's sign is flipped"),
    Bug("lrn-beta-unused", "lrn", (_e("lrn_forward", LRN_OUT, "out = x / scale"),), "beta is not used"),
    Bug("lrn-window-ahead", "lrn",
        (_e("lrn_forward", LRN_WINDOW, "_channel_window_sum(x * x, 0, size - 1)"),),
        "the window is not centred on channel c"),
    Bug("lrn-window-mirrored", "lrn",
        (_e("lrn_forward", LRN_WINDOW, "_channel_window_sum(x * x, (size - 1) // 2, size // 2)"),),
        "mirrored, which an even size shows"),
    Bug("lrn-window-symmetric", "lrn",
        (_e("lrn_forward", LRN_WINDOW, "_channel_window_sum(x * x, size // 2, size // 2)"),),
        "the window has size//2 channels on each side"),
    Bug("lrn-backward-constant-scale", "lrn", (_e("lrn_backward", LRN_DX, "dx = dout * scale_pow"),),
        "the path through the window sum is missing"),
    Bug("lrn-backward-no-2", "lrn", (_e("lrn_backward", "(2 * alpha * beta / size)", "(alpha * beta / size)"),),
        "the window term has no factor 2"),
    Bug("lrn-backward-alpha-not-divided", "lrn",
        (_e("lrn_backward", "(2 * alpha * beta / size)", "(2 * alpha * beta)"),),
        "the window term's alpha is not divided by size"),
    Bug("lrn-backward-exponent", "lrn",
        (_e("lrn_backward", "dout * x * scale_pow / scale", "dout * x * scale_pow"),),
        "the window term uses scale**(-beta), not scale**(-beta - 1)"),
    Bug("lrn-backward-not-mirrored", "lrn",
        (_e("lrn_backward", "_channel_window_sum(through_scale, (size - 1) // 2, size // 2)",
            "_channel_window_sum(through_scale, size // 2, (size - 1) // 2)"),),
        "the backward window sum reuses the forward window"),
    Bug("lrn-backward-sign", "lrn", (_e("lrn_backward", "scale_pow - (2 * alpha", "scale_pow + (2 * alpha"),),
        "the window term is added, not subtracted"),
    Bug("lrn-backward-no-x", "lrn", (_e("lrn_backward", "/ size) * x * window", "/ size) * window"),),
        "the window term is not multiplied by x_j"),
    # ------------------------------------------------------------ batch norm forward
    Bug("bn-unbiased", "batchnorm_forward", (_e("batchnorm_forward", "var = x.var(axis=0)",
                                                "var = x.var(axis=0, ddof=1)"),),
        "std of out (biased, ddof=0): the variance is unbiased"),
    Bug("bn-eps-outside", "batchnorm_forward", (_e("batchnorm_forward", STD, "std = np.sqrt(var) + eps"),),
        "batchnorm_forward: [train: gamma and beta against the definition] out: eps is added outside"),
    Bug("bn-no-eps", "batchnorm_forward", (_e("batchnorm_forward", STD, "std = np.sqrt(var)"),),
        "batchnorm_forward: [train: gamma and beta against the definition] out: eps is not used"),
    Bug("bn-divides-by-var", "batchnorm_forward", (_e("batchnorm_forward", STD, "std = var + eps"),),
        "std of out (biased, ddof=0): x - mean is divided by the variance"),
    Bug("bn-uncentred-var", "batchnorm_forward",
        (_e("batchnorm_forward", "var = x.var(axis=0)", "var = (x ** 2).mean(axis=0)"),),
        "std of out (biased, ddof=0): the variance is the mean of x**2"),
    Bug("bn-affine-swapped", "batchnorm_forward",
        (_e("batchnorm_forward", "out = gamma * x_hat + beta", "out = beta * x_hat + gamma"),),
        "mean of out: gamma and beta are swapped"),
    Bug("bn-no-affine", "batchnorm_forward", (_e("batchnorm_forward", "out = gamma * x_hat + beta", "out = x_hat"),),
        "batchnorm_forward: [train: gamma and beta against the definition] out: gamma and beta are not applied"),
    Bug("bn-no-beta", "batchnorm_forward",
        (_e("batchnorm_forward", "out = gamma * x_hat + beta", "out = gamma * x_hat"),),
        "batchnorm_forward: [train: gamma and beta against the definition] out: beta is not added"),
    Bug("bn-running-in-train", "batchnorm_forward",
        (_e("batchnorm_forward", f"{RUN_VAR}\n    else:", f"{RUN_VAR}\n        mean, var = running_mean, running_var\n"
            "    else:"),),
        "train mode normalizes with the updated running averages"),
    Bug("bn-test-batch-stats", "batchnorm_forward",
        (_e("batchnorm_forward", "mean, var = running_mean, running_var", "mean, var = x.mean(axis=0), x.var(axis=0)"),),
        "test mode normalizes with the batch's mean and variance"),
    # ------------------------------------------------------------ running statistics
    Bug("bn-momentum-swapped", "batchnorm_running_stats",
        (_e("batchnorm_forward", RUN_MEAN, "running_mean = (1 - momentum) * running_mean + momentum * mean"),
         _e("batchnorm_forward", RUN_VAR, "running_var = (1 - momentum) * running_var + momentum * var")),
        "the momentum is swapped"),
    Bug("bn-momentum-no-one-minus", "batchnorm_running_stats",
        (_e("batchnorm_forward", RUN_MEAN, "running_mean = momentum * running_mean + mean"),
         _e("batchnorm_forward", RUN_VAR, "running_var = momentum * running_var + var")),
        "(1 - momentum) is missing"),
    Bug("bn-running-var-unbiased", "batchnorm_running_stats",
        (_e("batchnorm_forward", RUN_VAR, "running_var = momentum * running_var + (1 - momentum) * x.var(axis=0, "
            "ddof=1)"),),
        "running_var averages the unbiased variance"),
    Bug("bn-running-var-std", "batchnorm_running_stats",
        (_e("batchnorm_forward", RUN_VAR, "running_var = momentum * running_var + (1 - momentum) * np.sqrt(var + "
            "eps)"),),
        "running_var averages the standard deviation"),
    Bug("bn-running-updated-in-test", "batchnorm_running_stats",
        (_e("batchnorm_forward", "        mean, var = running_mean, running_var\n",
            "        mean, var = running_mean, running_var\n"
            "        running_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)\n"
            "        running_var = momentum * running_var + (1 - momentum) * x.var(axis=0)\n"),),
        "a test-mode pass updates the running averages too"),
    # ------------------------------------------------------------ batch norm backward
    Bug("bnb-no-var-term", "batchnorm_backward",
        (_e("batchnorm_backward", BN_DX, "dx = (g - g.mean(axis=0)) / std"),),
        "batchnorm_backward: [train: dx] dx: the variance term is missing"),
    Bug("bnb-no-mean-term", "batchnorm_backward",
        (_e("batchnorm_backward", BN_DX, "dx = (g - x_hat * (g * x_hat).mean(axis=0)) / std"),),
        "batchnorm_backward: [train: dx] dx: the mean term is missing"),
    Bug("bnb-constant-stats", "batchnorm_backward", (_e("batchnorm_backward", BN_DX, "dx = g / std"),),
        "batchnorm_backward: [train: dx] dx: the mean and variance are treated as constants"),
    Bug("bnb-var-term-doubled", "batchnorm_backward",
        (_e("batchnorm_backward", "- x_hat * (g * x_hat)", "- 2 * x_hat * (g * x_hat)"),),
        "batchnorm_backward: [train: dx] dx: the variance term is twice too large"),
    Bug("bnb-no-gamma", "batchnorm_backward", (_e("batchnorm_backward", "g = dout * gamma  ", "g = dout  "),),
        "batchnorm_backward: [train: dx] dx: gamma is left out of dx"),
    Bug("bnb-no-std", "batchnorm_backward",
        (_e("batchnorm_backward", BN_DX, "dx = g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)"),),
        "batchnorm_backward: [train: dx] dx is not divided by std"),
    Bug("bnb-dgamma-mean", "batchnorm_backward",
        (_e("batchnorm_backward", "dgamma = (dout * x_hat).sum(axis=0)", "dgamma = (dout * x_hat).mean(axis=0)"),),
        "batchnorm_backward: [train: dgamma] dgamma is averaged over the batch"),
    Bug("bnb-dbeta-axis1", "batchnorm_backward",
        (_e("batchnorm_backward", "dbeta = dout.sum(axis=0)", "dbeta = dout.sum(axis=1)"),),
        "batchnorm_backward: [train: dbeta] dbeta sums over axis 1"),
    Bug("bnb-test-train-formula", "batchnorm_backward",
        (_e("batchnorm_backward", f'    if mode == "train":\n        {BN_DX}\n    else:\n        dx = g / std\n',
            f"    {BN_DX}\n"),),
        "batchnorm_backward: [test: dx (running statistics are constants)] dx: test mode uses the train-mode dx"),
    # A backward check blames a wrong forward pass (whose cache it uses) before judging the gradients.
    Bug("bnb-sees-forward-unbiased", "batchnorm_backward",
        (_e("batchnorm_forward", "var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)"),),
        "batchnorm_backward: [train: dx] see batchnorm_forward: its out is wrong on this input", names=False,
        why="the forward's unbiased variance, seen from the backward check"),
    Bug("alt-no-one-over-n", "batchnorm_backward_alt",
        (_e("batchnorm_backward_alt", ALT_DX, "dx = gamma / std * (N * dout - dbeta - x_hat * dgamma)"),),
        "the 1/N is missing"),
    Bug("alt-no-n-on-dout", "batchnorm_backward_alt",
        (_e("batchnorm_backward_alt", ALT_DX, "dx = (1 / N) * gamma / std * (dout - dbeta - x_hat * dgamma)"),),
        "dout is not multiplied by N"),
    Bug("alt-no-var-term", "batchnorm_backward_alt",
        (_e("batchnorm_backward_alt", ALT_DX, "dx = (1 / N) * gamma / std * (N * dout - dbeta)"),),
        "batchnorm_backward_alt: [train: dx] dx: the variance term is missing"),
    Bug("alt-test-no-gamma", "batchnorm_backward_alt",
        (_e("batchnorm_backward_alt", "dx = dout * gamma / std\n", "dx = dout / std\n"),),
        "gamma is left out of the test-mode dx"),
    # ------------------------------------------------------------ spatial batch norm
    Bug("sbn-reshape-without-transpose", "spatial_batchnorm",
        (_e("spatial_batchnorm_forward", SBN_IN, "x_rows = x.reshape(-1, C)"),
         _e("spatial_batchnorm_forward", SBN_OUT, "out = out_rows.reshape(N, C, H, W)")),
        "x is reshaped from NCHW to (-1, C) without moving C last, so channels mix"),
    Bug("sbn-back-without-transpose", "spatial_batchnorm",
        (_e("spatial_batchnorm_forward", SBN_OUT, "out = out_rows.reshape(N, C, H, W)"),),
        "out: the rows are reshaped back to (N, C, H, W) without the transpose"),
    Bug("sbn-reshape-c-first", "spatial_batchnorm",
        (_e("spatial_batchnorm_forward", SBN_IN, "x_rows = x.reshape(C, -1).T"),
         _e("spatial_batchnorm_forward", SBN_OUT, "out = out_rows.T.reshape(N, C, H, W)")),
        "x.reshape(C, -1) takes blocks of N*H*W consecutive values"),
    Bug("sbn-backward-reshape-without-transpose", "spatial_batchnorm",
        (_e("spatial_batchnorm_backward", SBN_DOUT, "dout_rows = dout.reshape(-1, C)"),
         _e("spatial_batchnorm_backward", SBN_DX, "dx = dx_rows.reshape(N, C, H, W)")),
        "dout is reshaped from NCHW to (-1, C) without moving C last"),
    Bug("sbn-backward-back-without-transpose", "spatial_batchnorm",
        (_e("spatial_batchnorm_backward", SBN_DX, "dx = dx_rows.reshape(N, C, H, W)"),),
        "dx_rows are reshaped back to (N, C, H, W) without the transpose"),
    # ------------------------------------------------------------ layer norm
    Bug("ln-batch-axis", "layernorm_forward", (_e("layernorm_forward", "axis=1", "axis=0", 2),),
        "the statistics are taken over the batch (axis 0), as in batch norm"),
    Bug("ln-unbiased", "layernorm_forward", (_e("layernorm_forward", LN_VAR, "var = x.var(axis=1, ddof=1, "
                                                "keepdims=True)"),),
        "std of each example's out (biased, ddof=0): the variance is unbiased"),
    Bug("ln-uncentred-var", "layernorm_forward",
        (_e("layernorm_forward", LN_VAR, "var = (x ** 2).mean(axis=1, keepdims=True)"),),
        "std of each example's out (biased, ddof=0): the variance is the mean of x**2"),
    Bug("ln-eps-outside", "layernorm_forward", (_e("layernorm_forward", STD, "std = np.sqrt(var) + eps"),),
        "layernorm_forward: [gamma and beta against the definition; x, gamma and beta are not modified] out: eps is "
        "added outside"),
    Bug("ln-eps-fixed", "layernorm_forward", (_e("layernorm_forward", STD, "std = np.sqrt(var + 1e-5)"),),
        "ln_param['eps'] is not used"),
    Bug("ln-no-affine", "layernorm_forward", (_e("layernorm_forward", "out = gamma * x_hat + beta", "out = x_hat"),),
        "layernorm_forward: [gamma and beta against the definition; x, gamma and beta are not modified] out: gamma "
        "and beta are not applied"),
    Bug("lnb-batch-axis", "layernorm_backward",
        (_e("layernorm_backward", "mean(axis=1, keepdims=True)", "mean(axis=0, keepdims=True)", 2),),
        "dx's means are over the batch (axis 0)"),
    Bug("lnb-no-var-term", "layernorm_backward",
        (_e("layernorm_backward", LN_DX, "dx = (g - g.mean(axis=1, keepdims=True)) / std"),),
        "layernorm_backward: [N=4 examples of D=5 features: dx] dx: the variance term is missing"),
    Bug("lnb-constant-stats", "layernorm_backward", (_e("layernorm_backward", LN_DX, "dx = g / std"),),
        "layernorm_backward: [N=4 examples of D=5 features: dx] dx: the mean and variance are treated as constants"),
    Bug("lnb-dgamma-axis1", "layernorm_backward",
        (_e("layernorm_backward", "dgamma = (dout * x_hat).sum(axis=0)", "dgamma = (dout * x_hat).sum(axis=1)"),),
        "dgamma sums over the features (axis 1)"),
    # ------------------------------------------------------------ group norm
    Bug("gn-swapped-groups", "spatial_groupnorm_forward",
        (_e("spatial_groupnorm_forward", GN_ROWS, "x_groups = x.reshape(N, C // G, G * H * W)"),),
        "C/G groups of G channels"),
    Bug("gn-instance", "spatial_groupnorm_forward",
        (_e("spatial_groupnorm_forward", GN_ROWS, "x_groups = x.reshape(N, C, H * W)"),),
        "each channel is normalized on its own (instance norm)"),
    Bug("gn-batch-statistics", "spatial_groupnorm_forward",
        (_e("spatial_groupnorm_forward", "axis=2, keepdims=True", "axis=(0, 2), keepdims=True", 2),),
        "a group's statistics are taken over the whole batch"),
    Bug("gn-unbiased", "spatial_groupnorm_forward",
        (_e("spatial_groupnorm_forward", "var = x_groups.var(axis=2, keepdims=True)",
            "var = x_groups.var(axis=2, ddof=1, keepdims=True)"),),
        "spatial_groupnorm_forward: [G=2 groups of C=6 channels: each example's group has mean 0 and std 1 "
        "(gamma=1, beta=0)] out: the variance is unbiased"),
    Bug("gn-eps-outside", "spatial_groupnorm_forward",
        (_e("spatial_groupnorm_forward", STD, "std = np.sqrt(var) + eps"),),
        "spatial_groupnorm_forward: [G=2 groups of C=6 channels: each example's group has mean 0 and std 1 "
        "(gamma=1, beta=0)] out: eps is added outside"),
    Bug("gn-no-eps", "spatial_groupnorm_forward", (_e("spatial_groupnorm_forward", STD, "std = np.sqrt(var)"),),
        "spatial_groupnorm_forward: [G=2: gamma and beta of shape (1, C, 1, 1) against the definition; inputs are "
        "not modified] out: eps is not used"),
    Bug("gn-eps-fixed", "spatial_groupnorm_forward",
        (_e("spatial_groupnorm_forward", STD, "std = np.sqrt(var + 1e-5)"),), "gn_param['eps'] is not used"),
    Bug("gn-affine-swapped", "spatial_groupnorm_forward",
        (_e("spatial_groupnorm_forward", "out = gamma * x_hat + beta\n    cache", "out = beta * x_hat + gamma\n    cache"),),
        "spatial_groupnorm_forward: [G=2 groups of C=6 channels: each example's group has mean 0 and std 1 "
        "(gamma=1, beta=0)] out: gamma and beta are swapped"),
    Bug("gnb-sees-forward-swapped-groups", "spatial_groupnorm_backward",
        (_e("spatial_groupnorm_forward", GN_ROWS, "x_groups = x.reshape(N, C // G, G * H * W)"),),
        "see spatial_groupnorm_forward: its out is wrong on this input", names=False,
        why="the forward's C/G groups of G channels, seen from the backward check"),
    Bug("gnb-flat-dgamma", "spatial_groupnorm_backward",
        (_e("spatial_groupnorm_backward", "dgamma = (dout * x_hat).sum(axis=(0, 2, 3), keepdims=True)",
            "dgamma = (dout * x_hat).sum(axis=(0, 2, 3))"),),
        "dgamma has shape (C,)"),
    Bug("gnb-flat-dbeta", "spatial_groupnorm_backward",
        (_e("spatial_groupnorm_backward", "dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)",
            "dbeta = dout.sum(axis=(0, 2, 3))"),),
        "dbeta has shape (C,)"),
    Bug("gnb-no-var-term", "spatial_groupnorm_backward",
        (_e("spatial_groupnorm_backward", GN_DX, "dx = (g - g.mean(axis=2, keepdims=True)) / std"),),
        "spatial_groupnorm_backward: [G=3 groups of C=6 channels: dx] dx: the variance term is missing"),
    Bug("gnb-no-gamma", "spatial_groupnorm_backward",
        (_e("spatial_groupnorm_backward", "g = (dout * gamma).reshape(", "g = dout.reshape("),),
        "spatial_groupnorm_backward: [G=3 groups of C=6 channels: dx] dx: gamma is left out of dx"),
]
