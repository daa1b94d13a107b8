"""CIFAR-10: download, verify, load.

Modules
-------
cifar10   ``load_CIFAR10``, ``get_CIFAR10_data`` and the batch validator
download  ``download_cifar10``: make sure a verified dataset is in place, from the three parts below
fetch     where the archive comes from, and a resumable download
verify    checksums, what a dataset directory lacks, the record of its installation
extract   safe unpacking, and moving the dataset into place once it loads
errors    the one-line errors of all three
fake      tiny random datasets in the official layout, for tests

``cs231n-cnn data download`` (or ``data/get_datasets.sh``) fetches the data;
``cs231n-cnn data info`` says what is present.
"""

from .cifar10 import (
                      DATA_DIR_ENV,
                      DATASET_DIRNAME,
                      DatasetMissingError,
                      class_names,
                      default_data_dir,
                      find_dataset_dir,
                      get_CIFAR10_data,
                      load_CIFAR10,
                      load_CIFAR_batch,
)
from .download import DownloadResult, download_cifar10
from .errors import ChecksumError, DownloadError, UnsafeArchiveError
from .fetch import DEFAULT_MD5, DEFAULT_URL, MD5_ENV, URL_ENV
from .utils import load_pickle
from .verify import dataset_problems

__all__ = [
    "class_names",
    "load_CIFAR10",
    "load_CIFAR_batch",
    "get_CIFAR10_data",
    "default_data_dir",
    "find_dataset_dir",
    "download_cifar10",
    "dataset_problems",
    "DownloadResult",
    "DownloadError",
    "ChecksumError",
    "UnsafeArchiveError",
    "DEFAULT_URL",
    "DEFAULT_MD5",
    "URL_ENV",
    "MD5_ENV",
    "DATA_DIR_ENV",
    "DATASET_DIRNAME",
    "DatasetMissingError",
    "load_pickle",
]
