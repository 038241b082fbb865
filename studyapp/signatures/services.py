"""Signing: re-authentication, the signature record, and checking it against the content.

Every signing asks for the password again; the first signing of a session also asks for
the username (P11-16). Failures are audited and count toward the account lockout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from studyapp.audit import Event, log_event
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.auth.services import is_locked, record_failure
from studyapp.db import utcnow
from studyapp.errors import ValidationFailed
from studyapp.extensions import db
from studyapp.permissions import Action, require
from studyapp.signatures.models import Signature


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the content as canonical JSON (sorted keys, ISO dates, decimals as text)."""
    plain = {key: _plain(value) for key, value in content.items()}
    payload = json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class SignatureRefused(ValidationFailed):
    """Wrong credentials at signing: the failure is counted and audited, nothing else is kept.

    The view answering it keeps that count (``transaction.keep_refusal``), so repeated
    wrong passwords lock the account as at sign-in (SEC-04).
    """


def sign(
    actor: User,
    *,
    password: str,
    username: str | None,
    meaning: str,
    table_name: str,
    row_id: str,
    subject_id: int | None,
    content: Mapping[str, Any],
) -> Signature:
    """Re-authenticate ``actor`` and record a signature of ``content``.

    ``username`` must be given (and be the actor's) at the first signing of a session;
    pass None for the later ones. Raises ValidationFailed with field messages.
    """
    require(actor, Action.SIGN)
    errors = _credential_errors(actor, password, username)
    if errors:
        db.session.rollback()  # nothing the caller prepared is written with a failed signature
        log_event(Event("signature_failed", table_name, row_id, new_value=meaning))
        record_failure(actor, "bad signature credentials")
        raise SignatureRefused(_("The signature was not recorded."), field_errors=errors)
    signature = Signature(
        user_id=actor.id,
        printed_name=actor.full_name,
        role=actor.role,
        meaning=meaning,
        signed_at=utcnow(),
        table_name=table_name,
        row_id=row_id,
        subject_id=subject_id,
        content_hash=content_hash(content),
        status="valid",
    )
    db.session.add(signature)
    db.session.flush()
    return signature


def _credential_errors(actor: User, password: str, username: str | None) -> dict[str, list[str]]:
    """What is wrong with the re-authentication, by field; empty when it holds.

    A locked account's password is "not correct" too, so a lock is not revealed.
    """
    errors: dict[str, list[str]] = {}
    if username is not None and username.strip().lower() != actor.username:
        errors["username"] = [_("This is not your username.")]
    if not passwords.verify_password(actor.password_hash, password) or is_locked(actor):
        errors.setdefault("password", [_("The password is not correct.")])
    return errors


def is_current(signature: Signature | None, content: Mapping[str, Any]) -> bool:
    """The signature is valid and the content is still what was signed."""
    return (
        signature is not None
        and signature.status == "valid"
        and signature.content_hash == content_hash(content)
    )
