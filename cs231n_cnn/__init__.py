"""cs231n_cnn: ConvNet layers on a vectorized NumPy im2col, for teaching.

Modules
-------
shapes          the output-size formula and every input validation rule
im2col          im2col / col2im (patch extraction and its adjoint)
layers          forward/backward pairs: conv, pool, fully connected, losses, norms, dropout
gradient_check  numerical gradients and relative errors
architecture    the notes' layer-pattern notation: parser, budget calculator, ZOO
models          ConvNet(spec) and ThreeLayerConvNet
optim, solver   update rules; a Solver with checkpoints and exact resume
augment, vis    flips and crops; training curves, filters, confusion matrices
data            CIFAR-10 download and loading
grading         graded checks, student release and the sandboxed grader
workspace       reusable scratch buffers for the fast layers
"""

__version__ = "0.1.0"
