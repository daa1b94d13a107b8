"""The container tests start podman containers: only ``make test-container`` runs them (not ``make test``)."""

import os

collect_ignore = [] if os.environ.get("CS231N_CONTAINER_TESTS") == "1" else ["test_container.py"]
