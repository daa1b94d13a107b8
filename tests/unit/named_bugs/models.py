"""The models students assemble (checks/models.py): mistakes in ThreeLayerConvNet and FullyConnectedNet.loss.

Some are the model's own (the penalty, a missing ReLU, the initialisation), some a layer's, which the model
check must blame on that layer ("see layers.softmax_loss: ...") rather than on the model.
"""

from . import Bug, Edit

M = "cs231n_cnn.models"
CNN, FCN = "ThreeLayerConvNet.loss", "FullyConnectedNet.loss"
INIT = "ThreeLayerConvNet.__init__"


def _e(function, old, new, count=1):
    return Edit(M, function, old, new, count)


BUGS = [
    Bug("cnn-reg-on-biases", "three_layer_convnet", (_e(CNN, "for k in weights)", "for k in p)"),),
        "three_layer_convnet: [reg=0.7 adds 0.5 * reg * sum(W**2) over W1, W2, W3 (not biases) and reg * W to "
        "their gradients] loss (reference loss + 0.5 * reg * sum of squares of the weights): the penalty also sums "
        "the biases' squares", why="regularized every parameter"),
    Bug("cnn-reg-without-half", "three_layer_convnet", (_e(CNN, "loss += 0.5 * self.reg", "loss += self.reg"),),
        "three_layer_convnet: [reg=0.7 adds 0.5 * reg * sum(W**2) over W1, W2, W3 (not biases) and reg * W to "
        "their gradients] loss (reference loss + 0.5 * reg * sum of squares of the weights): the penalty is "
        "reg * sum(W**2), without the 0.5", why="forgot the 0.5"),
    Bug("cnn-reg-missing-from-loss", "three_layer_convnet",
        (_e(CNN, "loss += 0.5 * self.reg * sum(float(np.sum(p[k] ** 2)) for k in weights)", "loss += 0.0"),),
        "three_layer_convnet: [reg=0.7 adds 0.5 * reg * sum(W**2) over W1, W2, W3 (not biases) and reg * W to "
        "their gradients] loss (reference loss + 0.5 * reg * sum of squares of the weights): the regularization "
        "penalty is missing", why="gradient regularized, loss not"),
    Bug("cnn-reg-missing-from-grads", "three_layer_convnet", (_e(CNN, "grads[k] + self.reg * p[k]", "grads[k]"),),
        "three_layer_convnet: [reg=0.7 adds 0.5 * reg * sum(W**2) over W1, W2, W3 (not biases) and reg * W to "
        "their gradients] grads['W1'] (reference + reg * W): reg * W is not added", why="loss regularized, gradients not"),
    Bug("cnn-reg-grad-doubled", "three_layer_convnet", (_e(CNN, "grads[k] + self.reg * p[k]", "grads[k] + 2 * self.reg * p[k]"),),
        "three_layer_convnet: [reg=0.7 adds 0.5 * reg * sum(W**2) over W1, W2, W3 (not biases) and reg * W to "
        "their gradients] grads['W1'] (reference + reg * W): the penalty's gradient is 2 * reg * W",
        why="derivative of reg * W**2"),
    Bug("cnn-missing-hidden-relu", "three_layer_convnet",
        (_e(CNN, "L.relu_forward(hidden)", "(hidden, None)"), _e(CNN, "L.relu_backward(drelu2, relu2_cache)", "drelu2")),
        "three_layer_convnet: [loss with small weights (std 1e-3), reg 0: about log(10), equal to the reference; "
        "test-mode scores] ThreeLayerConvNet.loss(X) (scores, no labels: test mode): no ReLU after the hidden affine",
        why="left out the hidden ReLU"),
    Bug("cnn-missing-conv-relu", "three_layer_convnet",
        (_e(CNN, "relu1, relu1_cache = L.relu_forward(conv)", "relu1, relu1_cache = conv, None"),
         _e(CNN, "L.relu_backward(L.max_pool_backward_fast(dpooled, pool_cache), relu1_cache)",
            "L.max_pool_backward_fast(dpooled, pool_cache)")),
        "ThreeLayerConvNet.loss(X) (scores, no labels: test mode): no ReLU after the conv layer",
        why="left out the conv ReLU"),
    Bug("cnn-relu-on-scores", "three_layer_convnet",
        (_e(CNN, "scores, fc2_cache = L.affine_forward(relu2, p[\"W3\"], p[\"b3\"])",
            "scores, fc2_cache = L.affine_forward(relu2, p[\"W3\"], p[\"b3\"]); "
            "scores, relu3_cache = L.relu_forward(scores)"),
         _e(CNN, "L.affine_backward(dscores, fc2_cache)", "L.affine_backward(L.relu_backward(dscores, relu3_cache), "
            "fc2_cache)")),
        "three_layer_convnet: [loss with small weights (std 1e-3), reg 0: about log(10), equal to the reference; "
        "test-mode scores] ThreeLayerConvNet.loss(X) (scores, no labels: test mode): a ReLU is applied to the scores",
        why="a ReLU after the last layer"),
    Bug("cnn-softmax-grad-not-over-n", "three_layer_convnet",
        (Edit("cs231n_cnn.layers.losses", "softmax_loss", "    dx /= N\n", ""),),
        "three_layer_convnet: [gradients (float64, reg 0) against centred differences of the reference loss] see "
        "layers.softmax_loss: its dx is wrong on this input (the model's scores): dx is 4x the expected values "
        "(an extra factor of 4 = N", why="the loss layer's gradient not averaged"),
    Bug("cnn-affine-db-mean", "three_layer_convnet",
        (Edit("cs231n_cnn.layers.fc", "affine_backward", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)"),),
        "see layers.affine_backward: its db is wrong on this input (the model's last affine layer): db is 0.25x",
        why="an affine layer's db averaged"),
    Bug("cnn-init-xavier-not-he", "three_layer_convnet", (_e(INIT, "np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)"),),
        "the weights have std sqrt(1 / fan_in) (Xavier's)", why="Xavier for He"),
    Bug("cnn-init-uniform", "three_layer_convnet", (_e(INIT, "rng.standard_normal(shape)", "rng.random(shape)"),),
        "the weights are uniform on [0, 1)", why="rng.random for rng.standard_normal"),
    Bug("cnn-init-variance-for-std", "three_layer_convnet",
        (_e(INIT, "std = weight_scale if weight_scale is not None", "std = weight_scale ** 2 if weight_scale is not None"),),
        "the std is weight_scale**2", why="weight_scale taken as the variance"),
    Bug("cnn-init-fan-in-of-conv", "three_layer_convnet", (_e(INIT, "((F, C, HH, HH), C * HH * HH)", "((F, C, HH, HH), F)"),),
        "the fan_in of W1 is taken as F = 16", why="fan_in of the conv weights as F"),
    Bug("cnn-init-weight-scale-ignored", "three_layer_convnet",
        (_e(INIT, "std = weight_scale if weight_scale is not None else np.sqrt(2.0 / fan_in)",
            "std = np.sqrt(2.0 / fan_in)"),),
        "the weights have He's std sqrt(2 / fan_in): weight_scale is ignored", why="always He"),
    Bug("cnn-init-conv-bias-per-channel", "three_layer_convnet",
        (_e(INIT, "np.zeros(shape[0] if i == 1 else shape[1], dtype=dtype)", "np.zeros(shape[1], dtype=dtype)"),),
        "model.params['b1'] has one entry per input channel (3), not one per filter (F = 16)",
        why="one conv bias per input channel"),
    Bug("cnn-init-random-biases", "three_layer_convnet",
        (_e(INIT, "np.zeros(shape[0] if i == 1 else shape[1], dtype=dtype)",
            "(std * rng.standard_normal(shape[0] if i == 1 else shape[1])).astype(dtype)"),),
        "should start at 0 (biases are not drawn at random)", why="biases drawn like weights"),
    Bug("cnn-init-forgets-dtype", "three_layer_convnet",
        (_e(INIT, "(std * rng.standard_normal(shape)).astype(dtype)", "std * rng.standard_normal(shape)"),),
        "model.params['W1'] has dtype float64, expected float32", names=False, why="float64 weights in a float32 model"),
    Bug("cnn-init-ignores-seed", "three_layer_convnet",
        (_e(INIT, "rng.standard_normal(shape)", "np.random.standard_normal(shape)"),),
        "two models built with seed=0 have different parameters", why="global RNG instead of the seeded one"),
    Bug("fc-reg-on-every-parameter", "fully_connected_net",
        (_e(FCN, 'sum(float(np.sum(p[f"W{i}"] ** 2)) for i in range(1, last + 1))',
            "sum(float(np.sum(v ** 2)) for v in p.values())"),),
        "the penalty sums every parameter's squares: biases, gammas and betas too", why="regularized gamma and beta"),
    Bug("fc-reg-on-biases", "fully_connected_net",
        (_e(FCN, 'sum(float(np.sum(p[f"W{i}"] ** 2)) for i in range(1, last + 1))',
            'sum(float(np.sum(p[f"W{i}"] ** 2) + np.sum(p[f"b{i}"] ** 2)) for i in range(1, last + 1))'),),
        "fully_connected_net: [reg=0.7 adds 0.5 * reg * sum(W**2) over the weights only (not b, gamma, beta), reg * W "
        "to their gradients] loss (reference loss + 0.5 * reg * sum of squares of the weights): the penalty also "
        "sums the biases' squares", why="regularized the biases"),
    Bug("fc-reg-without-half", "fully_connected_net", (_e(FCN, "loss += 0.5 * self.reg", "loss += self.reg"),),
        "fully_connected_net: [reg=0.7 adds 0.5 * reg * sum(W**2) over the weights only (not b, gamma, beta), reg * W "
        "to their gradients] loss (reference loss + 0.5 * reg * sum of squares of the weights): the penalty is "
        "reg * sum(W**2), without the 0.5", why="forgot the 0.5"),
    Bug("fc-reg-skips-last-layer", "fully_connected_net",
        (_e(FCN, 'sum(float(np.sum(p[f"W{i}"] ** 2)) for i in range(1, last + 1))',
            'sum(float(np.sum(p[f"W{i}"] ** 2)) for i in range(1, last))'),),
        "the penalty leaves out the last layer's weights", why="range(1, last)"),
    Bug("fc-reg-missing-from-grads", "fully_connected_net",
        (_e(FCN, 'grads[f"W{i}"] + self.reg * p[f"W{i}"]', 'grads[f"W{i}"]'),),
        "fully_connected_net: [reg=0.7 adds 0.5 * reg * sum(W**2) over the weights only (not b, gamma, beta), reg * W "
        "to their gradients] grads['W1'] (reference + reg * W): reg * W is not added", why="gradients not regularized"),
    Bug("fc-reg-grad-on-biases", "fully_connected_net",
        (_e(FCN, 'grads[f"W{i}"] = grads[f"W{i}"] + self.reg * p[f"W{i}"]',
            'grads[f"W{i}"] = grads[f"W{i}"] + self.reg * p[f"W{i}"]; '
            'grads[f"b{i}"] = grads[f"b{i}"] + self.reg * p[f"b{i}"]'),),
        "reg * p is added to the gradients of the biases", why="regularized the biases' gradients"),
    Bug("fc-batchnorm-ignored", "fully_connected_net", (_e(FCN, "bn_param, self.normalization)", "bn_param, None)"),),
        "batchnorm is not applied", why="normalization not passed on"),
    Bug("fc-dropout-ignored", "fully_connected_net",
        (_e(FCN, "out, drop_cache = L.dropout_forward(out, self.dropout_param)", "drop_cache = None"),),
        "the training loss has no dropout", why="dropout left out"),
    Bug("fc-softmax-grad-not-over-n", "fully_connected_net",
        (Edit("cs231n_cnn.layers.losses", "softmax_loss", "    dx /= N\n", ""),),
        "fully_connected_net: [no normalization: loss and gradients (float64, reg 0) against the reference] see "
        "layers.softmax_loss: its dx is wrong on this input (the model's scores): dx is 6x the expected values",
        why="the loss layer's gradient not averaged"),
]
