"""cs231n_cnn: ConvNet layers on a vectorized NumPy im2col, for teaching.

Modules
-------
shapes          the output-size formula and every input validation rule
im2col          im2col / col2im (patch extraction and its adjoint)
layers          forward/backward pairs: conv, pool, fully connected, losses, norms
gradient_check  numerical gradients and relative errors
"""

__version__ = "0.1.0"
