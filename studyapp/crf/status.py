"""A CRF record's status and the one check of every change: may this actor change it now?

A record is saved *in progress* (a draft) or *complete*. Monitoring adds the later states:
*verified* (a monitor checked it against the source: a change sends it back to complete),
*frozen* (no changes while queries are answered) and *locked* (no changes at all, database
lock). Each state says here once whether the record can still be changed, so a new state is a
line in ``STATES``, not a check per form.

A data manager also freezes or locks a whole place: a form, a visit, a subject or the study
(``studyapp.monitoring.locks``, above this package). ``may_change`` asks for the strongest
freeze or lock covering the record through the hook ``closure_at``, answered there, so every
save and removal of every form is refused the same way (409) without importing monitoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from studyapp.crf import registry
from studyapp.errors import Conflict
from studyapp.hooks import Hook
from studyapp.permissions import Action, require

IN_PROGRESS, COMPLETE = "in_progress", "complete"
VERIFIED, FROZEN, LOCKED = "verified", "frozen", "locked"


@dataclass(frozen=True)
class State:
    """What a status means for changes: open (a save may change the record) or closed."""

    code: str
    open: bool


#: Every status a CRF record can have, in the order a record goes through them.
STATES: dict[str, State] = {
    IN_PROGRESS: State(IN_PROGRESS, open=True),
    COMPLETE: State(COMPLETE, open=True),
    VERIFIED: State(VERIFIED, open=True),  # a change sends it back to complete
    FROZEN: State(FROZEN, open=False),
    LOCKED: State(LOCKED, open=False),
}


def status_for(completing: bool) -> str:
    """The status a save gives: "save as draft" keeps the record in progress."""
    return COMPLETE if completing else IN_PROGRESS


def is_open(status: str | None) -> bool:
    """Whether a record in *status* may still be changed (an unknown status may not)."""
    if status is None:
        return True
    state = STATES.get(status)
    return state is not None and state.open


#: What a freeze or lock covers, widest first.
STUDY, SUBJECT, VISIT, FORM = "study", "subject", "visit", "form"
SCOPE_LABELS = {STUDY: _l("study"), SUBJECT: _l("subject"), VISIT: _l("visit"), FORM: _l("form")}
STATE_LABELS = {FROZEN: _l("Frozen"), LOCKED: _l("Locked")}


@dataclass(frozen=True)
class Where:
    """A place data is recorded: a subject's page (``form``: its page key), at a visit.

    The visit is named by its VISITNUM or, for a stored record, by its row id (the answer
    looks its VISITNUM up). ``visitnum`` and ``visit_id`` None: a subject-level page.
    """

    subject_id: int | None
    visitnum: str | None = None
    form: str | None = None
    visit_id: int | None = None


@dataclass(frozen=True)
class Closure:
    """The strongest active freeze or lock covering a place, for messages and banners."""

    state: str  # FROZEN or LOCKED
    scope: str  # STUDY, SUBJECT, VISIT or FORM
    reason: str | None
    by: str
    at: datetime

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def scope_label(self) -> str:
        return str(SCOPE_LABELS[self.scope])


#: The strongest active freeze or lock covering a place (None: open), answered by monitoring.
closure_at: Hook[[Where], Closure | None] = Hook(
    "crf.closure_at", "studyapp.monitoring.locks.services"
)


def where_of(record: Any) -> Where:
    """The place of a stored (or just created) CRF record."""
    return Where(
        getattr(record, "subject_id", None),
        form=registry.page_key_of(record),
        visit_id=getattr(record, "visit_id", None),
    )


def closed_message(closure: Closure) -> str:
    """Why a change is refused, naming the state and what it covers."""
    if closure.state == LOCKED:
        return _(
            "This data is locked (%(scope)s lock): it cannot be changed.", scope=closure.scope_label
        )
    return _(
        "This data is frozen (%(scope)s freeze): it cannot be changed until it is unfrozen.",
        scope=closure.scope_label,
    )


def check_open(where: Where) -> None:
    """Conflict (409) when a freeze or lock covers *where*; the check of every change."""
    closure = closure_at(where)
    if closure is not None:
        raise Conflict(closed_message(closure))


def may_change(actor: Any, record: Any, action: Action = Action.ENTER_DATA) -> None:
    """The one check of every CRF change: the actor's permission, then the record's status.

    *record* None is a new record: only the permission counts. PermissionDenied (403) for the
    permission, Conflict (409) for a record whose status closes it to changes, or that a
    freeze or lock covers (a new record is checked by ``save_record`` once it is made).
    """
    require(actor, action)
    if record is None:
        return
    if not is_open(getattr(record, "status", None)):
        raise Conflict(_("This form is frozen or locked: it cannot be changed now."))
    check_open(where_of(record))
