"""The audit hash chain (REL-03), without a database."""

from datetime import UTC, datetime

import pytest

from studyapp.audit import chain


def build(n: int) -> list[dict]:
    rows, prev = [], chain.GENESIS
    for seq in range(1, n + 1):
        row = {
            "seq": seq,
            "ts": datetime(2026, 1, 1, tzinfo=UTC),
            "action": "insert",
            "field": "f",
            "new_value": str(seq),
            "prev_hash": prev,
        }
        row["hash"] = prev = chain.row_hash(prev, row)
        rows.append(row)
    return rows


@pytest.mark.req("REL-03")
def test_intact_chain_verifies():
    result = chain.verify(build(5))
    assert result.ok
    assert result.rows == 5
    assert result.head_hash == build(5)[-1]["hash"]


@pytest.mark.req("REL-03")
@pytest.mark.parametrize(
    ("mutate", "bad_seq", "problem"),
    [
        (lambda rows: rows[2].update(new_value="forged"), 3, "content"),
        (lambda rows: rows.pop(1), 3, "expected seq 2"),
        (lambda rows: rows[3].update(prev_hash="0" * 64), 4, "prev_hash"),
        (lambda rows: rows.insert(2, dict(rows[2])), 3, "expected seq 4"),
    ],
    ids=["changed", "removed", "relinked", "duplicated"],
)
def test_first_broken_row_is_named(mutate, bad_seq, problem):
    rows = build(5)
    mutate(rows)
    result = chain.verify(rows)
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert problem in result.problem


def test_hash_covers_every_field_and_the_previous_hash():
    base = build(1)[0]
    for field in chain.HASHED_FIELDS:
        changed = {**base, field: "other"}
        assert chain.row_hash(chain.GENESIS, changed) != base["hash"], field
    assert chain.row_hash("1" * 64, base) != base["hash"]
