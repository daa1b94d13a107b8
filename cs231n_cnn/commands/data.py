"""``cs231n-cnn data``: download CIFAR-10 and show what is present.

``cs231n-cnn data download [--dest DIR] [--url URL] [--md5 MD5] [--quiet]``
fetches, verifies and unpacks the dataset into ``DIR/cifar-10-batches-py``
(see :mod:`cs231n_cnn.data.download` and the modules it names); ``data/get_datasets.sh`` is a thin
wrapper around it. ``cs231n-cnn data info [--dest DIR] [--json]`` reports
what is there and exits with 1 if no complete dataset is present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..data.cifar10 import DATA_DIR_ENV, DATASET_DIRNAME, TEST_BATCH, TRAIN_BATCHES, default_data_dir, load_CIFAR_batch
from ..data.download import download_cifar10
from ..data.errors import DownloadError
from ..data.fetch import DEFAULT_MD5, DEFAULT_TIMEOUT, DEFAULT_URL, MD5_ENV, URL_ENV
from ..data.verify import read_source_info, verify_dataset
from .errors import CommandError

_DEST_HELP = (f"directory that holds {DATASET_DIRNAME}/ (default: ${DATA_DIR_ENV} if set, else the "
              "repository's data/ directory)")


def add_arguments(parser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    d = actions.add_parser(
        "download", help="download, verify and unpack CIFAR-10",
        description="Download the CIFAR-10 python archive (resuming a partial download), check its "
                    "MD5, unpack it safely and move it into place only once verified. Does nothing "
                    "if a verified dataset is already present (every file as it was unpacked); a damaged "
                    "one is installed again.")
    d.add_argument("--dest", type=Path, default=None, help=_DEST_HELP)
    d.add_argument("--url", default=None,
                   help=f"archive URL, http(s):// or file:// (default: ${URL_ENV} if set, else {DEFAULT_URL})")
    d.add_argument("--md5", default=None,
                   help=f"expected MD5 of the archive (default: ${MD5_ENV} if set, else {DEFAULT_MD5})")
    d.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help="seconds to wait for the server on connect and each read (default: %(default)g)")
    d.add_argument("--force", action="store_true",
                   help="reinstall even if a complete dataset is present")
    d.add_argument("--keep-archive", action="store_true",
                   help="keep the downloaded .tar.gz next to the dataset")
    d.add_argument("-q", "--quiet", action="store_true", help="no progress bar or notes on stderr")

    i = actions.add_parser(
        "info", help="show what is present (exit status 1 if no complete dataset)",
        description="Report the dataset directory, image counts per batch, where the data came from "
                    "and any partial download. Exit status 0 if a complete, valid dataset is present, "
                    "1 otherwise.")
    i.add_argument("--dest", type=Path, default=None, help=_DEST_HELP)
    i.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    if args.action == "download":
        return _download(args)
    return _info(args)


def _download(args) -> int:
    if args.timeout <= 0:
        raise ValueError(f"--timeout must be positive, got {args.timeout:g}")
    try:
        result = download_cifar10(args.dest, args.url, args.md5, timeout=args.timeout,
                                  quiet=args.quiet, force=args.force,
                                  keep_archive=args.keep_archive, stream=sys.stderr)
    except DownloadError as exc:
        raise CommandError(str(exc)) from None
    if result.status == "present":
        print(f"CIFAR-10 is already present and complete in {result.path}: nothing to do.")
        if result.note and not args.quiet:
            print(f"note: {result.note}", file=sys.stderr)
    else:
        if result.status == "repaired":
            print(f"CIFAR-10 repaired: {result.note}.")
        print(f"CIFAR-10 installed in {result.path}: {result.num_train:,} training and "
              f"{result.num_test:,} test images.")
    return 0


def _gather(data_dir: Path) -> dict:
    final = data_dir / DATASET_DIRNAME
    problems = verify_dataset(final)     # the same verification `data download` makes
    batches: dict[str, int] = {}
    if not problems:
        for name in TRAIN_BATCHES + (TEST_BATCH,):
            try:
                batches[name] = int(load_CIFAR_batch(final / name)[0].shape[0])
            except (ValueError, OSError) as exc:
                problems.append(str(exc))
    valid = not problems
    partial = [{"file": p.name, "bytes": p.stat().st_size}
               for p in sorted(data_dir.glob("*.part")) if p.is_file()] if data_dir.is_dir() else []
    return {
        "data_dir": str(data_dir),
        "dataset_dir": str(final),
        "present": final.is_dir(),
        "valid": valid,
        "problems": problems,
        "num_train": sum(batches[n] for n in TRAIN_BATCHES) if valid else None,
        "num_test": batches[TEST_BATCH] if valid else None,
        "batches": batches if valid else {},
        "source": read_source_info(final) if final.is_dir() else None,
        "partial_downloads": partial,
    }


def _info(args) -> int:
    data_dir = args.dest.expanduser() if args.dest is not None else default_data_dir()
    report = _gather(data_dir)
    if args.json:
        print(json.dumps(report))
        return 0 if report["valid"] else 1

    print(f"data directory:   {report['data_dir']}")
    if report["valid"]:
        sizes = sorted({report["batches"][n] for n in TRAIN_BATCHES})
        per_batch = f"{sizes[0]:,} each" if len(sizes) == 1 else "sizes " + ", ".join(f"{s:,}" for s in sizes)
        print(f"CIFAR-10:         {report['dataset_dir']}: complete, {report['num_train']:,} training "
              f"images ({len(TRAIN_BATCHES)} batches, {per_batch}), {report['num_test']:,} test images")
        src = report["source"]
        if src:
            print(f"source:           {src.get('url')} (MD5 {src.get('md5')})")
    else:
        state = "not usable" if report["present"] else "missing"
        print(f"CIFAR-10:         {report['dataset_dir']}: {state} ({'; '.join(report['problems'])})")
        print(f"                  run `cs231n-cnn data download` to {'repair' if report['present'] else 'fetch'} it")
    for part in report["partial_downloads"]:
        print(f"partial download: {part['file']} ({part['bytes'] / 1e6:.1f} MB); "
              "`cs231n-cnn data download` resumes it")
    return 0 if report["valid"] else 1
