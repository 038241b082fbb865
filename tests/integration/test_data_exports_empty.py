"""The CSV and SDTM exports of a study with no subject yet: valid, empty datasets with all
their variables; and who may make them (a coordinator may not; P11-05)."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.errors import PermissionDenied
from studyapp.exports import catalogue, tables
from studyapp.exports.sdtm.writer import DOMAINS
from studyapp.extensions import db
from tests.integration.exports_helpers import members, produce, read_csv, read_xpt


@pytest.fixture(autouse=True)
def kinds(app):
    catalogue.load()


def test_an_empty_study_gives_empty_but_complete_sdtm_datasets(app, users, tmp_path):
    path = tmp_path / "sdtm.zip"
    result = produce("sdtm", users["data_manager"], path)
    files = members(path)
    assert result.rows == {d.code: 0 for d in DOMAINS}
    _h, define = read_csv(files["define.csv"])
    assert len(define) == sum(len(d.variables) for d in DOMAINS)
    for domain in DOMAINS:
        header, rows = read_csv(files[f"{domain.code.lower()}.csv"])
        fields, records = read_xpt(files[f"{domain.code.lower()}.xpt"], tmp_path, domain.code)
        assert header == [f["name"] for f in fields] == domain.names
        assert rows == records == []


def test_an_empty_study_gives_csv_files_with_headers_and_the_dictionary(app, users, tmp_path):
    path = tmp_path / "csv.zip"
    result = produce("csv", users["monitor"], path)
    files = members(path)
    for model in tables.models():
        header, rows = read_csv(files[f"{model.__tablename__}.csv"])
        assert header == tables.header(model)
        assert rows == []
    assert result.rows["data_dictionary.csv"] > 0


@pytest.mark.parametrize("kind", ["csv", "sdtm"])
def test_a_coordinator_is_refused_and_nothing_is_audited(app, users, tmp_path, kind):
    with pytest.raises(PermissionDenied):
        produce(kind, users["coordinator"], tmp_path / "x.zip")
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "export")) is None


@pytest.mark.parametrize("kind", ["csv", "sdtm"])
def test_a_monitor_gets_the_zip_from_the_page(app, users, auth, client, kind):
    auth.login("mon.user")
    asked = auth.post("/reports/", {"kind": kind}, page="/reports/")
    assert asked.status_code == 302
    html = client.get(asked.headers["Location"]).get_data(as_text=True)
    link = html.split('data-testid="download"')[0].rsplit('href="', 1)[1].split('"')[0]
    got = client.get(link)
    assert got.status_code == 200
    assert got.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(got.data)).testzip() is None
    got.close()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "export"))
    assert (row.username, row.row_id) == ("mon.user", kind)
