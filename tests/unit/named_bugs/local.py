"""Locally connected layer (checks/local.py): the mistakes students make in cs231n_cnn/layers/local.py."""

from . import Bug, Edit

M = "cs231n_cnn.layers.local"


def _e(function, old, new, count=1):
    return Edit(M, function, old, new, count)


BUGS = [
    Bug("local-no-bias", "locally_connected_forward",
        (_e("locally_connected_forward", "    out += b.transpose(2, 0, 1)", "    pass"),),
        "locally_connected_forward: [3x3 filters, stride 1, pad 1] out: the bias is never added",
        why="forgot the bias"),
    Bug("local-bias-reshaped", "locally_connected_forward",
        (_e("locally_connected_forward", "b.transpose(2, 0, 1)", "b.reshape(b.shape[2], b.shape[0], b.shape[1])"),),
        "locally_connected_forward: [3x3 filters, stride 1, pad 1] out: b is reshaped to (F, H_out, W_out)",
        why="reshape instead of transpose for the bias"),
    Bug("local-filter-kl-swapped", "locally_connected_forward",
        (_e("locally_connected_forward", '"ncijkl,ijfckl->nfij"', '"ncijlk,ijfckl->nfij"'),),
        "locally_connected_forward: [3x3 filters, stride 1, pad 1] out: each filter is used transposed",
        why="window axes k and l swapped in the einsum"),
    Bug("local-shared-bias", "locally_connected_forward",
        (_e("locally_connected_forward", "out += b.transpose(2, 0, 1)", "out += b[0, 0][:, None, None]"),),
        "locally_connected_forward: [3x3 filters, stride 1, pad 1] out: one bias per filter is shared",
        why="the conv's bias: b[0, 0] for every position"),
    Bug("local-db-mean", "locally_connected_backward",
        (_e("locally_connected_backward", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),),
        "locally_connected_backward: [3x3 filters, stride 1, pad 1: db] db is the mean of dout over",
        why="averaged over the batch"),
    Bug("local-db-reshaped", "locally_connected_backward",
        (_e("locally_connected_backward", "db = dout.sum(axis=0).transpose(1, 2, 0)",
            "db = dout.sum(axis=0).reshape(dout.shape[2], dout.shape[3], dout.shape[1])"),),
        "locally_connected_backward: [3x3 filters, stride 1, pad 1: db] db is reshaped",
        why="reshape instead of transpose for db"),
    Bug("local-dx-padded", "locally_connected_backward",
        (_e("locally_connected_backward", "dx = dxpad[:, :, pad:pad + H, pad:pad + W]", "dx = dxpad"),),
        "locally_connected_backward: [3x3 filters, stride 1, pad 1: dx] dx has shape (2, 2, 6, 6), expected "
        "(2, 2, 4, 4): dx still has the padding", why="returned the padded gradient"),
    Bug("local-dx-overwritten", "locally_connected_backward",
        (_e("locally_connected_backward", "stride * W_out:stride] += dwindows", "stride * W_out:stride] = dwindows"),),
        "locally_connected_backward: [3x3 filters, stride 1, pad 1: dx] dx is overwritten where windows overlap",
        why="= instead of += where windows overlap"),
    Bug("local-shared-filters", "locally_connected_forward",
        (_e("locally_connected_forward", 'np.einsum("ncijkl,ijfckl->nfij", windows, w, optimize=True)',
            'np.einsum("ncijkl,fckl->nfij", windows, w[0, 0], optimize=True)'),),
        "locally_connected_forward: [3x3 filters, stride 1, pad 1] out: the filters of position (0, 0) are used "
        "at every position", why="one filter bank for every position, as in a convolution"),
    Bug("local-backward-sees-forward", "locally_connected_backward",
        (_e("locally_connected_forward", '"ncijkl,ijfckl->nfij"', '"ncijlk,ijfckl->nfij"'),
         _e("locally_connected_backward", '"nfij,ncijkl->ijfckl"', '"nfij,ncijlk->ijfckl"'),
         _e("locally_connected_backward", '"nfij,ijfckl->ncijkl"', '"nfij,ijfclk->ncijkl"')),
        "locally_connected_backward: [3x3 filters, stride 1, pad 1: dx] see locally_connected_forward: its out is "
        "wrong on this input: each filter is used transposed", why="window axes k and l swapped in every einsum"),
]
