"""``cs231n-cnn describe``: the per-layer budget of an architecture.

Examples
--------
::

    cs231n-cnn describe vgg16
    cs231n-cnn describe "INPUT[227x227x3] -> CONV11-96 S4 P0" --no-sharing
    cs231n-cnn describe "INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL2 -> FC" --batch 128 --json
    cs231n-cnn describe --list
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", nargs="?",
                        help='a spec such as "INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC", '
                             "or a ZOO name such as vgg16 (see --list)")
    parser.add_argument("--batch", type=int, default=1, metavar="N",
                        help="images per batch, for the activation memory (default 1)")
    parser.add_argument("--no-sharing", action="store_true",
                        help="also show what each CONV layer would cost without parameter sharing")
    parser.add_argument("--json", action="store_true", help="print JSON (memory in bytes) instead of the table")
    parser.add_argument("--classes", type=int, default=10, metavar="N",
                        help="number of classes, the size of a bare final FC (default 10; the ImageNet "
                             "nets of the ZOO end in FC-1000)")
    parser.add_argument("--list", action="store_true", help="list the ready specs of the ZOO and exit")


def run(args: argparse.Namespace) -> int:
    from ..architecture import NOTES, ZOO, describe
    from .errors import CommandError

    if args.list:
        width = max(map(len, ZOO))
        for name, spec in ZOO.items():
            print(f"{name.ljust(width)}  {NOTES[name]}\n{'':{width}}  {spec}")
        return 0
    if not args.spec or not args.spec.strip():
        raise CommandError("give a spec in quotes, e.g. \"INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC\", "
                           f"or a ZOO name: {', '.join(ZOO)}")
    text = args.spec.strip()
    looks_like_name = not any(c in text for c in "[]->*→ ") and not text.upper().startswith("INPUT")
    from ..architecture import lookup

    if looks_like_name and lookup(text) is None:
        raise CommandError(f"{text!r} is neither a ZOO name ({', '.join(ZOO)}) nor a spec; a spec starts "
                           "with INPUT[HxWxD], e.g. \"INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC\"")
    if args.classes < 1:
        raise CommandError(f"--classes must be a positive integer, got {args.classes}")
    result = describe(text, batch=args.batch, sharing=not args.no_sharing, num_classes=args.classes)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result)
    return 0
