"""What has been entered at visits: the status of each one-record-per-visit form page.

Read with one query per record model, for the whole study, for some visits or for the visits
of a batch of subjects, whatever their number (``registry.visit_records``: the medication list
is not among them).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, select

from studyapp.crf import registry
from studyapp.crf.status import COMPLETE, FROZEN, LOCKED, VERIFIED
from studyapp.extensions import db
from studyapp.visits.models import Visit

#: Record statuses at which a required form counts as entered (complete and after).
FINISHED = frozenset({COMPLETE, VERIFIED, FROZEN, LOCKED})


def form_statuses(
    visit_ids: Collection[int] | None = None, *, subject_ids: Collection[int] | None = None
) -> dict[int, dict[str, str]]:
    """Visit id -> page key -> status of its record, for *visit_ids*, or for the visits of
    *subject_ids* (neither: every visit).

    A batch of subjects is asked for by *subject_ids*, not by their visits' ids: the statement
    then has as many parameters as subjects, the same for every full batch, so the database
    driver's statement cache holds one statement per model instead of one per batch (each with
    thousands of parameters: 35 MB at 1,000 subjects on SQLite).
    """
    if visit_ids is not None and not visit_ids:
        return {}
    chosen: Select[Any] | list[int] | None = None
    if subject_ids is not None:
        chosen = select(Visit.id).where(Visit.subject_id.in_(list(subject_ids)))
    elif visit_ids is not None:
        chosen = list(visit_ids)
    keys_of: dict[Any, set[str]] = {}
    for key, model in registry.visit_records():
        keys_of.setdefault(model, set()).add(key)
    out: dict[int, dict[str, str]] = {}
    for model, keys in keys_of.items():
        shared = hasattr(model, "form")
        only = next(iter(keys)) if len(keys) == 1 else None
        columns = [model.visit_id, model.status, *([model.form] if shared else [])]
        query = select(*columns).where(model.deleted_at.is_(None))
        if chosen is not None:
            query = query.where(model.visit_id.in_(chosen))
        for visit_id, status, *form in db.session.execute(query):
            key = form[0] if shared else only
            if key in keys and status:
                out.setdefault(visit_id, {}).setdefault(key, status)
    return out
