"""The training smoke check (checks/training.py): bugs that show when the model trains on batches of 30.

``conv_forward_fast`` works on blocks of N // 8 images, so a bug that mixes the images of a block shows only
in batches of 16 or more: the training check is where a student first sees it, and it must name the conv
layer (or the model), never the Solver.
"""

from . import Bug, Edit

CNN = "ThreeLayerConvNet.loss"

BUGS = [
    Bug("training-conv-block-reshape", "training_smoke",
        (Edit("cs231n_cnn.layers.conv", "conv_forward_fast", "rows.reshape(F, n1 - n0, P).transpose(1, 0, 2)",
              "rows.reshape(n1 - n0, F, P)"),),
        "training_smoke: [the forward pass of a batch of 30 against the reference; initial loss on 10 random examples "
        "is about log(10), gradients against the reference] see layers.conv_forward_fast: its out is wrong on this "
        "input (the model's conv layer on the check's images): out holds the expected values, but",
        why="a block regrouped by reshape, not transpose"),
    Bug("training-missing-hidden-relu", "training_smoke",
        (Edit("cs231n_cnn.models", CNN, "L.relu_forward(hidden)", "(hidden, None)"),
         Edit("cs231n_cnn.models", CNN, "L.relu_backward(drelu2, relu2_cache)", "drelu2")),
        "training_smoke: [the forward pass of a batch of 30 against the reference; initial loss on 10 random examples "
        "is about log(10), gradients against the reference] loss (against the reference forward pass of "
        "model.params) of a batch of 30: no ReLU after the hidden affine layer", why="left out the hidden ReLU"),
    Bug("training-relu-on-scores", "training_smoke",
        (Edit("cs231n_cnn.models", CNN, "scores, fc2_cache = L.affine_forward(relu2, p[\"W3\"], p[\"b3\"])",
              "scores, fc2_cache = L.affine_forward(relu2, p[\"W3\"], p[\"b3\"]); "
              "scores, relu3_cache = L.relu_forward(scores)"),
         Edit("cs231n_cnn.models", CNN, "L.affine_backward(dscores, fc2_cache)",
              "L.affine_backward(L.relu_backward(dscores, relu3_cache), fc2_cache)")),
        "training_smoke: [the forward pass of a batch of 30 against the reference; initial loss on 10 random examples "
        "is about log(10), gradients against the reference] loss (against the reference forward pass of "
        "model.params) of a batch of 30: a ReLU is applied to the scores", why="a ReLU after the last layer"),
    Bug("training-softmax-grad-not-over-n", "training_smoke",
        (Edit("cs231n_cnn.layers.losses", "softmax_loss", "    dx /= N\n", ""),),
        "see layers.softmax_loss: its dx is wrong on this input (the model's scores): dx is 30x the expected values "
        "(an extra factor of 30 = N, the batch size?)", why="the loss layer's gradient not averaged"),
    Bug("training-relu-backward-from-dout", "training_smoke",
        (Edit("cs231n_cnn.layers.fc", "relu_backward", "dx = dout * (x > 0)", "dx = dout * (dout > 0)"),),
        "see layers.relu_backward: its dx is wrong on this input (the ReLU after the hidden layer): dx: the mask comes "
        "from dout",
        why="ReLU's mask from dout"),
]
