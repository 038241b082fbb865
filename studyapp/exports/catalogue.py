"""Every kind of report and export, registered once: importing this module fills the registry.

One line per module that registers kinds (each calls ``registry.register`` at import).
"""

from __future__ import annotations

import importlib

MODULES: tuple[str, ...] = (
    "studyapp.exports.safety_report",
    "studyapp.exports.casebook.kinds",
    "studyapp.exports.operations.kinds",
    "studyapp.exports.csv_export",
    "studyapp.exports.sdtm.writer",
    "studyapp.exports.odm",  # CDISC ODM 1.3.2: odm, odm_audit
    "studyapp.exports.audit_trail",  # a subject's audit trail as CSV
    "studyapp.exports.users_list",  # the authorised-user list (CN-01)
    "studyapp.exports.archive",  # a subject's end-of-study archive (GCP-11)
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
