"""AdminData (users, the site, signature meanings), and the audit records and signatures of
the ``odm_audit`` file, read from the audit trail and the signature table.

Every time is UTC with "Z" (GCP-06). An AuditRecord's SourceID is the audit row's position
in the hash chain (``audit_log.seq``), so a reviewer can find it with ``flask audit-verify``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from lxml import etree
from sqlalchemy import select

from studyapp.audit.models import AuditLog
from studyapp.auth.models import User
from studyapp.exports.odm.metadata import mdv_oid, study_oid
from studyapp.exports.odm.nodes import element, sub, texted
from studyapp.exports.odm.values import utc
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.runin import MEANING as DLT_REVIEW_MEANING
from studyapp.signatures.models import Signature
from studyapp.subjects.checklist import ELIGIBILITY_MEANING

SYSTEM_USER = "USR.system"
LEGAL_REASON = (
    "Electronic signature (21 CFR 11.50, 11.200): the signer re-entered the password; "
    "printed name, date and time and meaning are bound to the signed record's content hash"
)


def user_oid(user_id: int | None) -> str:
    return SYSTEM_USER if user_id is None else f"USR.{user_id}"


def location_oid() -> str:
    return f"LOC.{get_protocol().site.code}"


def signature_def_oid(meaning: str) -> str:
    return "SD." + hashlib.sha256(meaning.encode("utf-8")).hexdigest()[:12]


def meanings() -> list[str]:
    stored = db.session.scalars(select(Signature.meaning).distinct())
    return sorted({ELIGIBILITY_MEANING, DLT_REVIEW_MEANING, *stored})


def admin_data() -> etree._Element:
    """Users (every account, and the system for changes made by no one signed in), the site,
    and one SignatureDef per signature meaning."""
    p = get_protocol()
    root = element("AdminData", StudyOID=study_oid())
    for user in db.session.scalars(select(User).order_by(User.id)):
        node = sub(root, "User", OID=user_oid(user.id))
        texted(node, "LoginName", user.username)
        texted(node, "DisplayName", f"{user.full_name} ({user.role})")
        texted(node, "FullName", user.full_name)
        sub(node, "LocationRef", LocationOID=location_oid())
    system = sub(root, "User", OID=SYSTEM_USER, UserType="Other")
    texted(system, "LoginName", "system")
    location = sub(root, "Location", OID=location_oid(), Name=p.site.name, LocationType="Site")
    start = min(c.effective_date for c in p.consent_forms)
    sub(location, "MetaDataVersionRef", StudyOID=study_oid(), MetaDataVersionOID=mdv_oid(),
        EffectiveDate=start.isoformat())  # fmt: skip
    for meaning in meanings():
        node = sub(root, "SignatureDef", OID=signature_def_oid(meaning), Methodology="Electronic")
        texted(node, "Meaning", meaning)
        texted(node, "LegalReason", LEGAL_REASON)
    return root


def audit_record(parent: etree._Element, row: AuditLog, prefix: str = "AR") -> etree._Element:
    """An AuditRecord of one audit row: who, where, when (UTC), why, which row of the trail.

    Its ID is ``AR.<seq>``; the subject's creation, whose audit row is also the first value
    of an item, is ``ARS.<seq>`` (IDs are unique in a document)."""
    node = sub(parent, "AuditRecord", EditPoint="DBAudit", ID=f"{prefix}.{row.seq}")
    sub(node, "UserRef", UserOID=user_oid(row.user_id))
    sub(node, "LocationRef", LocationOID=location_oid())
    texted(node, "DateTimeStamp", utc(row.ts))
    if row.reason:
        texted(node, "ReasonForChange", row.reason)
    texted(node, "SourceID", f"audit_log.seq={row.seq}")
    return node


def signature(parent: etree._Element, sig: Signature) -> etree._Element:
    node = sub(parent, "Signature", ID=f"SG.{sig.id}")
    sub(node, "UserRef", UserOID=user_oid(sig.user_id))
    sub(node, "LocationRef", LocationOID=location_oid())
    sub(node, "SignatureRef", SignatureOID=signature_def_oid(sig.meaning))
    texted(node, "DateTimeStamp", utc(sig.signed_at))
    return node


class History:
    """The audit rows of one subject's records, by (table, row id, field), in chain order."""

    def __init__(self, subject_id: int, tables: set[str]) -> None:
        query = (
            select(AuditLog)
            .where(AuditLog.subject_id == subject_id, AuditLog.table_name.in_(sorted(tables)))
            .order_by(AuditLog.seq)
        )
        self.rows: dict[tuple[str, str, str], list[AuditLog]] = defaultdict(list)
        for row in db.session.scalars(query):
            self.rows[(row.table_name or "", row.row_id or "", row.field or "")].append(row)

    def of(self, table: str, row_id: object, field: str) -> list[AuditLog]:
        return self.rows.get((table, str(row_id), field), [])

    def created(self, table: str, row_id: object) -> AuditLog | None:
        """The first audit row of a record (its insert)."""
        found = [
            rows[0] for (t, r, _f), rows in self.rows.items() if t == table and r == str(row_id)
        ]
        return min(found, key=lambda row: row.seq, default=None)


def subject_signatures(subject_id: int) -> list[Signature]:
    query = select(Signature).where(Signature.subject_id == subject_id).order_by(Signature.id)
    return list(db.session.scalars(query))


def other_signatures(written: set[int]) -> list[Signature]:
    """Signatures not already written inside a SubjectData (study-level ones, and a subject's
    second and later signatures)."""
    query = select(Signature).order_by(Signature.id)
    return [sig for sig in db.session.scalars(query) if sig.id not in written]
