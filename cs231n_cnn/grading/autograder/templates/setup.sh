#!/usr/bin/env bash
# Gradescope runs this once, as root, while building the autograder image.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
if [ "${CS231N_SKIP_INSTALL:-0}" = "1" ]; then
    echo "setup.sh: CS231N_SKIP_INSTALL=1, not installing anything"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# Gradescope grades each submission in a Docker container whose default confinement refuses the
# namespaces bubblewrap needs: there the grader (root) uses its container mode, a user id of the
# submission's own chrooted into a tree holding only Python, NumPy and SciPy, and every report says
# so and what that mode lacks. bubblewrap is installed for a machine that allows namespaces, where
# auto prefers it. Nothing here changes a permission: the container mode needs none.
apt-get install -y --no-install-recommends bubblewrap python3 python3-venv python3-pip
# requirements.txt pins what `make test-matrix` tested on one Python, named in tested-python.txt (the oldest
# the package supports; python3 of Gradescope's Ubuntu 22.04 base image is 3.10). On another Python the pins
# were never tested and may have no wheels: stop here, saying which base image to choose.
if [ -f "$SOURCE/tested-python.txt" ]; then
    TESTED="$(tr -d '[:space:]' < "$SOURCE/tested-python.txt")"
    FOUND="$(python3 --version 2>&1 | sed -n 's/^Python \([0-9]*\.[0-9]*\).*/\1/p')"
    if [ "$FOUND" != "$TESTED" ]; then
        echo "setup.sh: requirements.txt pins the versions tested on Python $TESTED, but this image's python3 is" \
             "${FOUND:-missing}; choose a base image whose python3 is $TESTED (Ubuntu 22.04 for 3.10)" >&2
        exit 1
    fi
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install -r "$SOURCE/requirements.txt"
# A smoke test of the image: the package imports and the checks load.
cd "$SOURCE"
"$ROOT/venv/bin/python" -c "from cs231n_cnn.grading import load_checks; print(len(load_checks('checks')))"
