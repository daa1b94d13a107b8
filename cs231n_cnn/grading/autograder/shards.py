"""Spreading one batch over machines: which shard grades a submission, and merging the shards' CSVs.

A submission's shard is ``sha256(entry name) mod N`` (the name of its entry
in the submissions directory, ``alice.zip`` or ``alice``): a hash that is the
same on every machine and Python (unlike ``hash()``, salted per process), and
that depends on nothing but the name, so adding a submission moves no other.

Each shard's CSV is exactly a grades.csv (so a spreadsheet reads it, and the
merged file is byte-for-byte what one ``grade-batch`` writes); what a merge
needs to check it against the others lives in a sidecar JSON next to it,
``<csv>.shard.json`` (:func:`sidecar_for`): ``I/N``, the digest of the whole
entry list and the entry list itself (to name a missing submission and to
put rows back in ``grade-batch``'s order), the columns, and the CSV's own
sha256 (a CSV rewritten without its sidecar, or the reverse, is refused).
A comment line or an extra column in the CSV would have broken the format.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

from ...fileio import atomic_write_text

__all__ = ["ShardError", "parse_shard", "shard_of", "entries_digest", "sidecar_for", "write_sidecar",
           "merge_shards", "SIDECAR_FORMAT"]

SIDECAR_FORMAT = "cs231n-cnn grade-batch shard 1"


class ShardError(ValueError):
    """Shards that do not make one batch: missing, duplicated or mismatched (one line naming which)."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)``; anything but two integers with ``0 <= I < N`` is a ``ValueError`` naming the rule."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m:
        raise ValueError(f"--shard must be I/N with integers 0 <= I < N (e.g. 0/4), got {text!r}")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"--shard must be I/N with 0 <= I < N, got {text!r}")
    return index, count


def shard_of(entry_name: str, count: int) -> int:
    """The shard (``0 .. count-1``) of the submission whose entry is named ``entry_name``."""
    digest = hashlib.sha256(entry_name.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count


def entries_digest(entry_names) -> str:
    """sha256 of the whole entry list (sorted names, JSON): shards of one batch all record the same one."""
    text = json.dumps(sorted(entry_names), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def sidecar_for(csv_path) -> Path:
    """``grades-0-of-4.csv`` -> ``grades-0-of-4.csv.shard.json``, the shard's facts next to its CSV."""
    csv_path = Path(csv_path)
    return csv_path.with_name(csv_path.name + ".shard.json")


def write_sidecar(csv_path, *, index: int, count: int, entries: list[tuple[str, str]], columns, csv_text: str,
                  sandbox: str | None) -> None:
    """Write the sidecar of a shard's CSV atomically (after the CSV; its sha256 ties the two together).

    ``entries`` is the whole batch's ``(entry name, submission cell)`` list, in
    ``grade-batch`` row order.
    """
    data = {
        "format": SIDECAR_FORMAT,
        "shard": f"{index}/{count}",
        "index": index,
        "count": count,
        "entries_sha256": entries_digest(e for e, _ in entries),
        "entries": [{"entry": e, "submission": s} for e, s in entries],
        "columns": list(columns),
        "sandbox": sandbox,
        "csv_sha256": hashlib.sha256(csv_text.encode("utf-8")).hexdigest(),
    }
    atomic_write_text(sidecar_for(csv_path), json.dumps(data, indent=1) + "\n")


def _shard_inputs(paths) -> list[Path]:
    """The CSVs named, or every ``*.csv`` with a sidecar in a directory named."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(c for c in p.glob("*.csv") if sidecar_for(c).is_file())
            if not found:
                raise ShardError(f"no shard CSVs (a .csv with its .csv.shard.json) in {p}")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"no shard CSV or directory {p}")
    return out


def _read_shard(path: Path) -> tuple[dict, list[str], list[dict]]:
    side = sidecar_for(path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShardError(f"{path} has no {side.name}: it is not a shard written by grade-batch --shard") from None
    except (OSError, ValueError) as exc:
        raise ShardError(f"{side} is not readable JSON: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT:
        raise ShardError(f"{side} is not a {SIDECAR_FORMAT!r} sidecar")
    text = path.read_text(encoding="utf-8")
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != meta.get("csv_sha256"):
        raise ShardError(f"{path} was changed after grade-batch wrote it (its sha256 differs from {side.name})")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return meta, list(reader.fieldnames or []), rows


def merge_shards(paths, out_csv) -> list[dict]:
    """Merge the CSVs of ``grade-batch --shard I/N`` (files, or directories holding them) into ``out_csv``.

    Writes (atomically) the grades.csv one ``grade-batch`` of the whole folder
    writes: the same columns, one row per submission, in its order. Raises
    :class:`ShardError` naming every missing or duplicated shard, or the
    first one whose ``N``, entry-list digest or columns differ from the
    others, or whose rows are not exactly the submissions its shard owns.
    Returns the merged rows.
    """
    shards = [(p, *_read_shard(p)) for p in _shard_inputs(paths)]
    if not shards:
        raise ShardError("no shard CSVs given")
    first_path, first, first_cols, _ = shards[0]
    count = first["count"]
    for path, meta, cols, _ in shards[1:]:
        if meta["count"] != count:
            raise ShardError(f"{path} is shard {meta['shard']} but {first_path} is shard {first['shard']}: "
                             f"different N")
        if meta["entries_sha256"] != first["entries_sha256"]:
            raise ShardError(f"{path} (shard {meta['shard']}) graded a different list of submissions than "
                             f"{first_path} (entry-list digest {meta['entries_sha256'][:12]} vs "
                             f"{first['entries_sha256'][:12]})")
        if cols != first_cols:
            raise ShardError(f"{path} (shard {meta['shard']}) has other check columns than {first_path}: "
                             f"{', '.join(cols)} vs {', '.join(first_cols)}")
    by_index: dict[int, list[Path]] = {}
    for path, meta, _, _ in shards:
        by_index.setdefault(meta["index"], []).append(path)
    problems = [f"shard {i}/{count} given twice ({', '.join(map(str, ps))})"
                for i, ps in sorted(by_index.items()) if len(ps) > 1]
    missing = [i for i in range(count) if i not in by_index]
    if missing:
        problems.append(f"missing shard{'s' if len(missing) > 1 else ''} "
                        + ", ".join(f"{i}/{count}" for i in missing))
    if problems:
        raise ShardError("; ".join(problems))
    entries = [(e["entry"], e["submission"]) for e in first["entries"]]
    rows_by_name: dict[str, dict] = {}
    for path, meta, _, rows in shards:
        owned = {s for e, s in entries if shard_of(e, count) == meta["index"]}
        names = [r["submission"] for r in rows]
        if len(set(names)) != len(names) or set(names) != owned:
            raise ShardError(f"{path} (shard {meta['shard']}) does not hold exactly the submissions of its shard: "
                             f"missing {sorted(owned - set(names))}, not its own {sorted(set(names) - owned)}")
        rows_by_name.update((r["submission"], r) for r in rows)
    merged = [rows_by_name[s] for _, s in entries]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=first_cols, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(merged)
    atomic_write_text(out_csv, buf.getvalue())
    return merged
