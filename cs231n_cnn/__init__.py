"""cs231n_cnn: ConvNet layers on a vectorized NumPy im2col, for teaching.

Modules
-------
shapes          the output-size formula and every input validation rule
im2col          im2col / col2im (patch extraction and its adjoint)
layers          forward/backward pairs: conv, pool, fully connected, losses, norms, dropout
gradient_check  numerical gradients and relative errors
architecture    the notes' layer-pattern notation: parser, budget calculator, ZOO
models          ConvNet(spec), ThreeLayerConvNet, FullyConnectedNet
optim, solver   update rules; a Solver with checkpoints and exact resume
augment, vis    flips and crops; training curves, filters, confusion matrices
explorer        notebook 02's convolution explorer and receptive-field picture
screenfig       figures for a screen: 2x PNGs (sharp on HiDPI), points as CSS points, palette-compressed
data            CIFAR-10 download and loading
compat          the CS231n course's module names (and its fast-layer aliases and fancy-index im2col)
grading         graded checks, student release and the sandboxed grader
workspace       reusable scratch buffers for the fast layers
notebook        the notebooks' IPython extension (%load_ext cs231n_cnn.notebook)
livesource      reloading edited modules in a running kernel, and saying what did not load
fileio, paths   atomic writes; where the package and its checkout are
arraycodec      plain values and arrays to and from one file
timing          min and median of repeated timings
"""

__version__ = "0.1.0"
