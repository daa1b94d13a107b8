#!/bin/sh
# Fetch CIFAR-10 into the directory that holds this script (data/).
#
# A thin wrapper around `python -m cs231n_cnn data download --dest <this dir>`;
# every argument is passed through, e.g. to use a local mirror:
#   data/get_datasets.sh --url file:///path/to/cifar-10-python.tar.gz
#   data/get_datasets.sh --url file:///path/to/mirror.tar.gz --md5 <its md5> --quiet
# (or set CS231N_CIFAR10_URL / CS231N_CIFAR10_MD5). Set PYTHON to choose the interpreter.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname -- "$here")

if [ -z "${PYTHON:-}" ]; then
    if command -v python3 >/dev/null 2>&1; then PYTHON=python3; else PYTHON=python; fi
fi

# The checkout goes first on the path, so this works without `pip install`.
PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
exec "$PYTHON" -m cs231n_cnn data download --dest "$here" "$@"
