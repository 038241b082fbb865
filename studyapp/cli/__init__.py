"""Flask commands: create-user, demo-data, demo-code, audit-verify, audit-anchor, clinical,
export, report and archive-verify.

Each command is an edge: what it writes is one transaction (``with transaction():``),
committed when the command succeeds and rolled back when it fails.
"""

from __future__ import annotations

from flask import Flask

from studyapp.cli.accounts import create_user
from studyapp.cli.audit import audit_anchor, audit_verify
from studyapp.cli.clinical import clinical_cli
from studyapp.cli.demo import demo_code, demo_data
from studyapp.cli.exports import archive_verify_cli, export_cli, report_cli


def register(app: Flask) -> None:
    commands = (create_user, demo_data, demo_code, audit_verify, audit_anchor, clinical_cli)
    for command in (*commands, export_cli, report_cli, archive_verify_cli):
        app.cli.add_command(command)
