"""The SHA-256 chain over audit rows (REL-03): how a row is hashed and how the chain is checked.

Each row's hash is SHA-256 over the previous row's hash and a canonical JSON of the row's
own content, so changing, removing or inserting any row breaks every later link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

#: The columns covered by the hash, in a fixed order. ``id`` and ``hash`` are not.
HASHED_FIELDS = (
    "seq",
    "ts",
    "user_id",
    "username",
    "role",
    "action",
    "table_name",
    "row_id",
    "field",
    "old_value",
    "new_value",
    "reason",
    "subject_id",
    "request_id",
    "client",
    "app_version",
    "protocol_version",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def row_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """SHA-256 hex of ``prev_hash`` followed by the row's canonical JSON."""
    content = {name: _canonical(row.get(name)) for name in HASHED_FIELDS}
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_hash: str = GENESIS


def verify(
    rows: Iterable[Mapping[str, Any]], prev_hash: str = GENESIS, after_seq: int = 0
) -> VerifyResult:
    """Walk rows in ``seq`` order; report the first row whose link or content is wrong.

    By default from the first row; from a trusted row on with its ``prev_hash`` and seq.
    """
    expected_seq, count = after_seq + 1, 0
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            return VerifyResult(False, count, seq, f"expected seq {expected_seq}, found {seq}")
        if row["prev_hash"] != prev_hash:
            return VerifyResult(False, count, seq, "prev_hash does not match the previous row")
        if row_hash(prev_hash, row) != row["hash"]:
            return VerifyResult(False, count, seq, "content does not match its hash")
        prev_hash, expected_seq, count = row["hash"], expected_seq + 1, count + 1
    return VerifyResult(True, count, head_hash=prev_hash)
