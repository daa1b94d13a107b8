"""Subcommands of the ``cs231n-cnn`` CLI, one module each (see ``cs231n_cnn.cli``)."""
