"""The subject's audit trail for the casebook: every row with the subject's id up to the
cut-off, oldest first, with the record named in words and the field by its form label."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from studyapp.audit import naming
from studyapp.audit.models import AuditLog
from studyapp.crf import registry
from studyapp.exports.casebook.asof import AsOf
from studyapp.exports.casebook.labels import Labels, test_names
from studyapp.exports.casebook.values import local_time
from studyapp.extensions import db
from studyapp.permissions import ROLE_LABELS
from studyapp.reports.casebook_pdf import AuditLine
from studyapp.signatures.meanings import meaning_label
from studyapp.visits.models import LabResult

#: Tables no form code's first model names, in words.
TABLES: dict[str, object] = {
    "subject": _l("Subject"),
    "visit": _l("Visit"),
    "signature": _l("Signature"),
    "eligibility_answer": _l("Eligibility"),
    "prior_therapy": _l("Prior ITP therapy"),
    "medical_history": _l("Medical history"),
    "lab_panel": _l("Lab form"),
    "lab_result": _l("Lab result"),
    "bleeding_item": _l("ITP-BAT item"),
    "infusion_rate_step": _l("Infusion rate change"),
    "sae_report": _l("SAE report"),
    "lab_ae_decision": _l("Lab result judged for an AE"),
    "dlt_assessment": _l("DLT assessment"),
    "user": _l("User account"),
    "data_query": _l("Data query"),
    "query_message": _l("Query message"),
    "sdv_mark": _l("SDV mark"),
    "data_lock": _l("Data lock"),
    "dlt_review": _l("DLT review"),
    "export": _l("Export"),
    "audit_log": _l("Audit trail"),
}
ACTIONS: dict[str, object] = {
    "insert": _l("entered"),
    "update": _l("changed"),
    "delete": _l("removed"),
    "review": _l("audit trail reviewed"),
    "export": _l("data exported"),
    "audit_anchor": _l("audit checkpoint signed"),
    "signature_failed": _l("signature refused"),
    "login": _l("signed in"),
    "login_failed": _l("sign-in failed"),
    "logout": _l("signed out"),
    "lockout": _l("account locked"),
    "unlocked": _l("account unlocked"),
    "password_changed": _l("password changed"),
    "totp_enabled": _l("second factor enabled"),
    "user_created": _l("user account created"),
    "user_deactivated": _l("user account deactivated"),
    "user_reactivated": _l("user account reactivated"),
    "role_change": _l("role changed"),
    "setup_code_issued": _l("set-up code issued"),
    "reset_code_issued": _l("reset code issued"),
    "code_mail_failed": _l("code e-mail failed"),
}
#: (table, column) whose stored value is a role code, shown by the role's name.
ROLE_COLUMNS = frozenset({("user", "role"), ("signature", "role")})


def subject_rows(subject_id: int) -> list[AuditLog]:
    """Every audit row of the subject, in the order of the chain."""
    query = select(AuditLog).where(AuditLog.subject_id == subject_id).order_by(AuditLog.seq)
    return list(db.session.scalars(query))


def table_names() -> dict[str, str]:
    """table -> the record's name in words (a form's page label for its first model)."""
    out: dict[str, str] = {}
    for entry in registry.FORMS.values():
        for model in entry.model_classes()[:1]:
            out.setdefault(str(getattr(model, "__tablename__", "")), str(entry.label))
    out.update({table: str(name) for table, name in TABLES.items()})
    return out


def lines(rows: Sequence[AuditLog], asof: AsOf, labels: Labels, subject_id: int) -> list[AuditLine]:
    """The rows up to the cut-off as casebook lines."""
    tables = table_names()
    tests = lab_tests(subject_id)
    roles = role_names()  # once per casebook, not per line
    system = _("system")
    actions = {code: str(words) for code, words in ACTIONS.items()}
    out = []
    for row in rows:
        if not asof.happened(row.ts if row.ts.tzinfo else row.ts.replace(tzinfo=UTC)):
            continue
        record = f"{tables.get(row.table_name or '', row.table_name or '')} {row.row_id or ''}"
        if row.table_name == "lab_result" and row.row_id in tests:
            record = f"{record.strip()}: {tests[row.row_id]}"
        out.append(
            AuditLine(
                when=local_time(row.ts),
                user=f"{row.username or system} ({roles.get(row.role or '', row.role) or '—'})",
                action=actions.get(row.action, row.action),
                record=record.strip(),
                field=labels.of(row.table_name, row.field),
                old=_value(row, row.old_value, labels),
                new=_value(row, row.new_value, labels),
                reason=row.reason or "",
            )
        )
    return out


#: Monitoring tables whose ``field`` column holds the name of a CRF column.
NAMES_A_FIELD = frozenset({"sdv_mark", "data_query"})


def _value(row: AuditLog, value: str | None, labels: Labels) -> str:
    """A stored value as the trail shows it: a CRF column named by a monitoring row (the
    field an SDV mark or a query is on) by its label."""
    if row.table_name in NAMES_A_FIELD and row.field == "field":
        return labels.anywhere(value)
    return shown_value(row.table_name, row.field, row.action, value) if value else ""


def role_names() -> dict[str, str]:
    """Role code -> the role's name in the reader's language."""
    return {str(r.value): str(words) for r, words in ROLE_LABELS.items()}


def role_name(role: str | None) -> str:
    """A stored role code by the role's name in the reader's language (unknown: as stored)."""
    return role_names().get(role or "", role or "")


def shown_value(table: str | None, field: str | None, action: str, value: str) -> str:
    """A stored value in words where it is a code: a role, a signature's meaning (stored in
    English, shown translated); any other value as stored."""
    if (table, field) in ROLE_COLUMNS:
        return role_name(value)
    if (table, field) == ("signature", "meaning") or action == "signature_failed":
        return meaning_label(value)
    return value


def lab_tests(subject_id: int) -> dict[str, str]:
    """Lab result row id -> its test name, so a result's history names the test."""
    names = test_names()
    query = select(LabResult.id, LabResult.testcd).where(LabResult.subject_id == subject_id)
    return {str(i): names.get(code, code) for i, code in db.session.execute(query)}


@naming.describe.answer
def describe() -> naming.Naming:
    """The audit viewer's names: the casebook's, in the current language."""
    labels = Labels()
    return naming.Naming(
        tables=table_names(),
        field=labels.of,
        actions={key: str(words) for key, words in ACTIONS.items()},
        roles=role_names(),
        values=shown_value,
    )
