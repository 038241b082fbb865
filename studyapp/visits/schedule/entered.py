"""What has been entered at visits: the status of each one-record-per-visit form page.

Read with one query per record model, for the whole study or for some visits, whatever their
number (``registry.visit_records``: the medication list is not among them).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from studyapp.crf import registry
from studyapp.crf.status import COMPLETE, FROZEN, LOCKED, VERIFIED
from studyapp.extensions import db

#: Record statuses at which a required form counts as entered (complete and after).
FINISHED = frozenset({COMPLETE, VERIFIED, FROZEN, LOCKED})


def form_statuses(visit_ids: Collection[int] | None = None) -> dict[int, dict[str, str]]:
    """Visit id -> page key -> status of its record, for *visit_ids* (None: every visit)."""
    if visit_ids is not None and not visit_ids:
        return {}
    keys_of: dict[Any, set[str]] = {}
    for key, model in registry.visit_records():
        keys_of.setdefault(model, set()).add(key)
    out: dict[int, dict[str, str]] = {}
    for model, keys in keys_of.items():
        shared = hasattr(model, "form")
        only = next(iter(keys)) if len(keys) == 1 else None
        columns = [model.visit_id, model.status, *([model.form] if shared else [])]
        query = select(*columns).where(model.deleted_at.is_(None))
        if visit_ids is not None:
            query = query.where(model.visit_id.in_(list(visit_ids)))
        for visit_id, status, *form in db.session.execute(query):
            key = form[0] if shared else only
            if key in keys and status:
                out.setdefault(visit_id, {}).setdefault(key, status)
    return out
