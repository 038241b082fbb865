"""The checkpoint line: signed, checked, appended whole by concurrent writers (REL-03)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest

from studyapp.audit import anchor

KEY = "k" * 40
WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.req("REL-03")
def test_a_signed_line_parses_back_to_its_checkpoint():
    line = anchor.make_line(KEY, 12, "a" * 64, 12, WHEN, "dm.user")
    checkpoint = anchor.parse_line(KEY, 3, line)
    assert checkpoint == anchor.Checkpoint(3, 12, "a" * 64, 12, "2026-03-02T08:00:00Z", "dm.user")


@pytest.mark.parametrize(
    ("field", "value"), [("seq", 11), ("hash", "b" * 64), ("ts", "2026"), ("by", "x")]
)
@pytest.mark.req("REL-03")
def test_any_changed_field_breaks_the_signature(field, value):
    fields = json.loads(anchor.make_line(KEY, 12, "a" * 64, 12, WHEN, "dm.user"))
    fields[field] = value
    assert anchor.parse_line(KEY, 1, json.dumps(fields)).error is not None


@pytest.mark.req("REL-03")
def test_another_key_does_not_verify():
    line = anchor.make_line("other" * 10, 12, "a" * 64, 12, WHEN, "dm.user")
    assert "signature" in (anchor.parse_line(KEY, 1, line).error or "")


@pytest.mark.req("REL-03")
def test_concurrent_appends_keep_every_line_whole(tmp_path):
    path = tmp_path / "anchors.jsonl"

    def writer(n: int) -> None:
        for i in range(50):
            anchor.append_line(path, anchor.make_line(KEY, n * 1000 + i, "c" * 64, i, WHEN, "n"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checkpoints = anchor.read_all(path, KEY)
    assert len(checkpoints) == 400
    assert all(c.error is None for c in checkpoints)
    assert anchor.read_latest(path, KEY) == checkpoints[-1]


@pytest.mark.req("REL-03")
def test_the_latest_checkpoint_is_read_again_only_when_the_file_changed(tmp_path, monkeypatch):
    path = tmp_path / "anchors.jsonl"
    assert anchor.read_latest(path, KEY) is None
    anchor.append_line(path, anchor.make_line(KEY, 5, "a" * 64, 5, WHEN, "dm.user"))
    assert anchor.read_latest(path, KEY).seq == 5
    reads = []
    real = anchor._lines
    monkeypatch.setattr(anchor, "_lines", lambda p: reads.append(p) or real(p))
    assert anchor.read_latest(path, KEY).seq == 5  # unchanged file: no read
    assert reads == []
    anchor.append_line(path, anchor.make_line(KEY, 9, "b" * 64, 9, WHEN, "dm.user"))
    latest = anchor.read_latest(path, KEY)
    assert (latest.seq, latest.line, len(reads)) == (9, 2, 1)
    path.write_text("not a checkpoint\n")
    assert anchor.read_latest(path, KEY).error is not None
