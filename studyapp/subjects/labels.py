"""Translated labels for the coded values of subjects (the codes stay in the data)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS = {
    "screening": _l("screening"),
    "screen_failed": _l("screen failure"),
    "enrolled": _l("enrolled"),
    "in_treatment": _l("in treatment"),
    "in_follow_up": _l("in follow-up"),
    "completed": _l("completed"),
    "discontinued": _l("withdrawn or discontinued"),
}
GATE = {
    "enrolling_run_in": _l("enrolling the run-in cohort"),
    "expanding": _l("enrolling the expanded run-in cohort"),
    "waiting": _l("paused: DLT windows running"),
    "review_due": _l("paused: DLT review due"),
    "open": _l("enrolment open"),
    "halted": _l("halted"),
}
OUTCOME = {
    "met": _l("met"),
    "not_met": _l("not met"),
    "missing": _l("value missing"),
    "unanswered": _l("not answered"),
    "not_applicable": _l("not in force"),
}
#: The protocol stop rule's outcomes and the investigator's decisions.
RULE = {
    "open": _l("open enrolment"),
    "expand": _l("expand the run-in"),
    "halt": _l("halt"),
    "pending": _l("pending"),
}
DECISION = {
    "continue": _l("continue"),
    "modify": _l("modify (expand the run-in)"),
    "stop": _l("stop"),
}
DISPOSITION = {
    "COMPLETED": _l("completed"),
    "WITHDRAWAL BY SUBJECT": _l("withdrawal by subject"),
    "LOST TO FOLLOW-UP": _l("lost to follow-up"),
    "DEATH": _l("death"),
    "ADVERSE EVENT": _l("adverse event"),
    "PHYSICIAN DECISION": _l("physician decision"),
}
THERAPY = {
    "corticosteroid": _l("corticosteroid"),
    "ivig": _l("IVIG"),
    "rituximab": _l("rituximab"),
    "tpo_ra": _l("TPO receptor agonist"),
    "immunosuppressant": _l("immunosuppressant"),
    "splenectomy": _l("splenectomy"),
    "anti_cd38": _l("anti-CD38 antibody"),
    "other": _l("other"),
}
RESPONSE = {
    "CR": _l("complete response (CR)"),
    "R": _l("response (R)"),
    "NR": _l("no response (NR)"),
    "UNKNOWN": _l("unknown"),
}
STOP_REASON = {
    "NO RESPONSE": _l("no response"),
    "RELAPSE": _l("relapse"),
    "INTOLERANCE": _l("intolerance"),
    "COMPLETED": _l("course completed"),
    "OTHER": _l("other"),
}

ALL = {
    "status": STATUS,
    "gate": GATE,
    "outcome": OUTCOME,
    "rule": RULE,
    "decision": DECISION,
    "disposition": DISPOSITION,
    "therapy": THERAPY,
    "response": RESPONSE,
    "stop_reason": STOP_REASON,
}


def label(kind: str, code: str | None) -> str:
    """The translated label of ``code``; the code itself when it has none."""
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))
