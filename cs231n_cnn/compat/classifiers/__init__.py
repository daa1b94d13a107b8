"""``cs231n.classifiers``: the course's models (:mod:`.cnn`, :mod:`.fc_net`)."""
