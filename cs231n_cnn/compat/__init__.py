"""The course's module names, so a CS231n notebook needs only its imports changed.

Each module here is named like one of CS231n assignment 2's ``cs231n``
modules and re-exports the ``cs231n_cnn`` functions that course module
holds, under the course's names. Nothing is reimplemented: every name is the
package's own object, so the notebook runs this package's code, checks and
error messages. Change only the import lines::

    from cs231n.layers import *              ->  from cs231n_cnn.compat.layers import *
    from cs231n.classifiers.fc_net import *  ->  from cs231n_cnn.compat.classifiers.fc_net import *
    from cs231n.data_utils import get_CIFAR10_data
                                             ->  from cs231n_cnn.compat.data_utils import get_CIFAR10_data

==========================  ====================================  ===========================================
course module               compat module                         where the code lives
==========================  ====================================  ===========================================
cs231n.layers               cs231n_cnn.compat.layers              cs231n_cnn.layers (fc, losses, norm, ...)
cs231n.fast_layers          cs231n_cnn.compat.fast_layers         cs231n_cnn.layers (conv, pool: aliases)
cs231n.layer_utils          cs231n_cnn.compat.layer_utils         cs231n_cnn.layers.sandwich
cs231n.classifiers.cnn      cs231n_cnn.compat.classifiers.cnn     cs231n_cnn.models.ThreeLayerConvNet
cs231n.classifiers.fc_net   cs231n_cnn.compat.classifiers.fc_net  cs231n_cnn.models.FullyConnectedNet
cs231n.solver               cs231n_cnn.compat.solver              cs231n_cnn.solver
cs231n.gradient_check       cs231n_cnn.compat.gradient_check      cs231n_cnn.gradient_check
cs231n.vis_utils            cs231n_cnn.compat.vis_utils           cs231n_cnn.vis
cs231n.data_utils           cs231n_cnn.compat.data_utils          cs231n_cnn.data
cs231n.im2col               cs231n_cnn.compat.im2col              cs231n_cnn.compat.im2col (itself)
cs231n.optim                cs231n_cnn.compat.optim               cs231n_cnn.optim
==========================  ====================================  ===========================================

Two modules hold code of their own, because only a reader coming from the
course needs it: ``fast_layers`` (the course's several fast-layer names, each an
alias of our one fast path per layer) and ``im2col`` (the course's fancy-index
im2col, to compare with :mod:`cs231n_cnn.im2col`).

Every name is imported explicitly, so a name missing from the package makes
the import fail at once rather than a notebook cell much later. The package
is imported, never the other way round: nothing in ``cs231n_cnn`` imports
``compat``.
"""
