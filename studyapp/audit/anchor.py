"""Signed checkpoints of the audit chain head, kept in a file outside the database (REL-03).

A checkpoint is one JSON line: the head's ``seq`` and ``hash``, the row count, the UTC
time, who wrote it and an HMAC-SHA256 over all of these with ``AUDIT_ANCHOR_KEY``, a key
the database never holds. Whoever can rewrite the database can recompute the chain, but
not a checkpoint: rows deleted or rewritten after a checkpoint no longer match it.

Lines are appended with ``O_APPEND`` in a single ``write``, so several nodes (and the
cron job) may append to the same local file at once without mixing their lines.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

VERSION = 1
SIGNED_FIELDS = ("v", "seq", "hash", "rows", "ts", "by")


@dataclass(frozen=True)
class Checkpoint:
    """One line of the anchor file; ``error`` says why it cannot be trusted (else None)."""

    line: int
    seq: int = 0
    hash: str = ""
    rows: int = 0
    ts: str = ""
    by: str = ""
    error: str | None = None


def _mac(key: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(
        {name: fields.get(name) for name in SIGNED_FIELDS},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def make_line(key: str, seq: int, head_hash: str, rows: int, when: datetime, by: str) -> str:
    """The signed JSON line (newline included) of a checkpoint of head ``seq``/``head_hash``."""
    fields: dict[str, Any] = {
        "v": VERSION,
        "seq": seq,
        "hash": head_hash,
        "rows": rows,
        "ts": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "by": by,
    }
    fields["mac"] = _mac(key, fields)
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n"


def parse_line(key: str, number: int, text: str) -> Checkpoint:
    """The checkpoint on line ``number``; its ``error`` is set when unreadable or forged."""
    try:
        fields = json.loads(text)
        checkpoint = Checkpoint(
            number,
            int(fields["seq"]),
            str(fields["hash"]),
            int(fields["rows"]),
            str(fields["ts"]),
            str(fields.get("by", "")),
        )
        mac = str(fields["mac"])
    except (ValueError, TypeError, KeyError):
        return Checkpoint(number, error="the line is not a readable checkpoint")
    if not hmac.compare_digest(mac, _mac(key, fields)):
        return Checkpoint(
            number,
            checkpoint.seq,
            checkpoint.hash,
            checkpoint.rows,
            checkpoint.ts,
            checkpoint.by,
            error="its signature does not verify (forged, altered, or signed with another key)",
        )
    return checkpoint


def append_line(path: Path, line: str) -> None:
    """Append one line in one ``write`` (O_APPEND), creating the file with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = line.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if os.write(fd, data) != len(data):
            raise OSError(f"short write to {path}")
        os.fsync(fd)
    finally:
        os.close(fd)


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def read_all(path: Path, key: str) -> list[Checkpoint]:
    """Every checkpoint of the file, oldest first (none when the file does not exist)."""
    return [parse_line(key, number, text) for number, text in _lines(path)]


#: The last checkpoint read, by file and key, with the file's inode, size and change time: the
#: periodic check runs at every committing write and should cost one stat, not a read.
_latest_seen: dict[tuple[str, str], tuple[tuple[int, int, int], Checkpoint | None]] = {}


def read_latest(path: Path, key: str) -> Checkpoint | None:
    """The file's last checkpoint; None when there is none (re-read only when it changed)."""
    try:
        stat = path.stat()
        stamp = (stat.st_ino, stat.st_size, stat.st_ctime_ns)  # ctime: no one can set it
    except FileNotFoundError:
        return None
    seen = _latest_seen.get((str(path), key))
    if seen is not None and seen[0] == stamp:
        return seen[1]
    lines = _lines(path)
    latest = parse_line(key, *lines[-1]) if lines else None
    _latest_seen[(str(path), key)] = (stamp, latest)
    return latest
