"""A subject's end-of-study archive for the site (GCP-11): casebook, data, audit trail and
signatures in one zip whose manifest holds the SHA-256 of every file; a copy verifies, a
changed, missing or added file does not."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from studyapp.audit import acting_as
from studyapp.db import freeze_clock
from studyapp.exports.archive import MANIFEST, verify
from studyapp.transaction import transaction
from studyapp.visits.vitals import service as vitals
from tests import factories
from tests.integration.exports_helpers import produce, read_csv

pytestmark = pytest.mark.req("GCP-11")


@pytest.fixture
def archive(app, users, tmp_path):
    inv = users["investigator"]
    freeze_clock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    subject = factories.make_enrolled(inv, date(2026, 3, 2), screened=date(2026, 3, 1))
    freeze_clock(datetime(2026, 3, 16, 2, 0, tzinfo=UTC))
    values = {"weight": Decimal("58.3"), "sysbp": 118, "diabp": 76, "pulse": 70}
    with acting_as(inv), transaction():
        vitals.save(
            inv, subject.id, "3",
            vitals.VitalsEntry(date(2026, 3, 16), None, values | {"temp": Decimal("36.5")}),
            visit_date=date(2026, 3, 16),
        )  # fmt: skip
    factories.screen_subject(inv, screened=date(2026, 3, 16))  # another subject: not in it
    path = tmp_path / "archive.zip"
    with transaction():
        result = produce("archive", inv, path, subject_id=subject.id)
    freeze_clock(None)
    return subject, path, result


def test_the_archive_holds_the_subjects_files_and_verifies(app, archive):
    subject, path, result = archive
    assert verify(path) == []
    with zipfile.ZipFile(path) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read(MANIFEST))
        assert {"casebook.pdf", "audit_trail.csv", "signatures.csv", MANIFEST} <= names
        assert "data/vital_signs.csv" in names
        _, vs = read_csv(zipped.read("data/vital_signs.csv"))
        _, subjects = read_csv(zipped.read("data/subject.csv"))
        _, trail = read_csv(zipped.read("audit_trail.csv"))
        _, signatures = read_csv(zipped.read("signatures.csv"))
    assert manifest["subject"] == subject.label
    assert {f["name"] for f in manifest["files"]} == names - {MANIFEST}
    assert [r["weight"] for r in vs] == ["58.3"]
    assert len(subjects) == 1  # the other subject is not in this archive
    assert trail
    assert all(r["table_name"] for r in trail)
    assert [s["meaning"] for s in signatures]  # the eligibility confirmation at least
    assert result.rows["audit_rows"] == len(trail)


def _rewrite(path, change):
    """A copy of the archive with *change* applied to its members (name -> bytes)."""
    with zipfile.ZipFile(path) as zipped:
        members = {name: zipped.read(name) for name in zipped.namelist()}
    change(members)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
    out.seek(0)
    return out


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: m.update({"audit_trail.csv": m["audit_trail.csv"] + b"x"}), "SHA-256 differs"),
        (lambda m: m.pop("signatures.csv"), "signatures.csv: missing"),
        (lambda m: m.update({"extra.txt": b"hello"}), "extra.txt: not in the manifest"),
        (lambda m: m.pop(MANIFEST), "manifest.json is missing"),
    ],
)
def test_a_changed_copy_does_not_verify(app, archive, change, problem):
    _subject, path, _result = archive
    problems = verify(_rewrite(path, change))
    assert any(problem in p for p in problems), problems


def test_the_command_verifies_an_archive(app, archive, tmp_path):
    _subject, path, _result = archive
    ok = app.test_cli_runner().invoke(args=["archive-verify", str(path)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    bad = tmp_path / "bad.zip"
    changed = lambda m: m.update({"casebook.pdf": b"%PDF-1.4 forged"})  # noqa: E731
    bad.write_bytes(_rewrite(path, changed).getvalue())
    refused = app.test_cli_runner().invoke(args=["archive-verify", str(bad)])
    assert refused.exit_code == 1
    assert "casebook.pdf: SHA-256 differs" in refused.output


def test_the_command_makes_the_archive_for_one_subject(app, archive, tmp_path):
    subject, _path, _result = archive
    out = tmp_path / "made.zip"
    args = ["report", "archive", "--subject", subject.label, "--out", str(out)]
    made = app.test_cli_runner().invoke(args=[*args, "--as", "inv.user"])
    assert made.exit_code == 0, made.output
    assert verify(out) == []
    none = app.test_cli_runner().invoke(
        args=["report", "archive", "--out", str(out), "--as", "inv.user"]
    )
    assert none.exit_code != 0
