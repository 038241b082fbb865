"""A CRF record's status and the one check of every change: may this actor change it now?

A record is saved *in progress* (a draft) or *complete*. Monitoring adds the later states:
*verified* (a monitor checked it against the source: a change sends it back to complete),
*frozen* (no changes while queries are answered) and *locked* (no changes at all, database
lock). Each state says here once whether the record can still be changed, so a new state is a
line in ``STATES``, not a check per form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from studyapp.errors import Conflict
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


def may_change(actor: Any, record: Any, action: Action = Action.ENTER_DATA) -> None:
    """The one check of every CRF change: the actor's permission, then the record's status.

    *record* None is a new record: only the permission counts. PermissionDenied (403) for the
    permission, Conflict (409) for a record whose status closes it to changes.
    """
    require(actor, action)
    if record is None:
        return
    if not is_open(getattr(record, "status", None)):
        raise Conflict(_("This form is frozen or locked: it cannot be changed now."))
