"""Translated labels for coded values (the codes stay in the data), looked up by kind.

The one label table of the app: pages, templates (``label(kind, code)``) and the SAE PDF read
it. A codelist the CRF tables store is written once in ``studyapp.codelists`` (codes in order
with their labels) and only referenced here; the kinds written out below are states and
outcomes computed by the app, or labels of codes the protocol file chooses.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from studyapp import codelists
from studyapp.protocol.loader import get_protocol

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
DISPOSITION = codelists.DISPOSITION.labels
THERAPY = codelists.THERAPY.labels
RESPONSE = codelists.PRIOR_RESPONSE.labels
STOP_REASON = codelists.STOP_REASON.labels
VISIT_STATUS = {
    "upcoming": _l("upcoming"),
    "due": _l("due"),
    "overdue": _l("overdue"),
    "overdue_week": _l("overdue this week"),
    "missed": _l("missed (not done)"),
    "done": _l("done"),
    "done_out_of_window": _l("done out of window"),
    "partly_entered": _l("partly entered"),
    "not_expected": _l("not expected (left the study)"),
}
TRACKER_FILTER = {
    "all": _l("all"),
    "due": _l("due"),
    "overdue": _l("overdue"),
    "overdue_week": _l("overdue this week"),
    "out_of_window": _l("out of window"),
    "missed": _l("missed"),
    "partly_entered": _l("partly entered"),
}
CRF_STATUS = {
    "in_progress": _l("in progress"),
    "complete": _l("complete"),
    "verified": _l("verified"),
    "recorded": _l("recorded"),
}
#: The state of a required form at a visit (the form status matrix).
FORM_STATE = {
    "missing": _l("missing"),
    "not_started": _l("not started"),
    "in_progress": _l("in progress"),
    "complete": _l("complete"),
    "verified": _l("verified"),
    "frozen": _l("frozen"),
    "locked": _l("locked"),
}
NRIND = codelists.NRIND.labels
RESCUE = {
    "IVIG": _l("IVIG"),
    "CORTICOSTEROID": _l("corticosteroids"),
    "PLATELET_TRANSFUSION": _l("platelet transfusion"),
    "TPO_RA_INCREASE": _l("TPO-RA started or increased"),
    "OTHER": _l("other rescue therapy"),
}
CM_CATEGORY = codelists.CM_CATEGORY.labels
ROUTE = codelists.ROUTE.labels
RELATEDNESS = {
    "not_related": _l("not related"),
    "unlikely": _l("unlikely related"),
    "possibly": _l("possibly related"),
    "probably": _l("probably related"),
    "definite": _l("definitely related"),
}
ACN = codelists.ACN.labels
AE_OUTCOME = codelists.AE_OUTCOME.labels
AEREL = codelists.AEREL.labels
SERIOUSNESS = codelists.SERIOUSNESS.labels


class _ProtocolDays:
    """A label that names a reporting deadline: the days come from the protocol when shown."""

    def __init__(self, text: object, setting: str) -> None:
        self.text, self.setting = text, setting

    def __str__(self) -> str:
        return str(self.text) % {"d": getattr(get_protocol().safety, self.setting)}


REPORT_KIND = {
    "SAE": _l("initial SAE report to the sponsor"),
    "FOLLOWUP": _l("follow-up report"),
    "SUSAR_FATAL": _ProtocolDays(
        _l("SUSAR, fatal or life-threatening: %(d)s-day report"), "susar_fatal_days"
    ),
    "SUSAR_FATAL_FOLLOWUP": _ProtocolDays(
        _l("SUSAR %(d)s-day report: follow-up"), "susar_fatal_days"
    ),
    "SUSAR": _ProtocolDays(_l("SUSAR: %(d)s-day report"), "susar_other_days"),
}
CLOCK = {
    "open": _l("running"),
    "overdue": _l("overdue"),
    "met": _l("reported on time"),
    "late": _l("reported late"),
}
DLT_REASON = {
    "not_in_window": _l("onset outside the DLT window"),
    "not_related": _l("not related enough to daratumumab"),
    "low_platelets": _l("low platelets alone are not a DLT"),
    "death": _l("death"),
    "irr": _l("infusion reaction or anaphylaxis"),
    "neutropenia": _l("grade 4 neutropenia"),
    "febrile_neutropenia": _l("febrile neutropenia"),
    "non_hematologic": _l("non-haematological toxicity of grade 3 or more"),
    "below_grade": _l("below the DLT grade"),
    "hematologic": _l("haematological: not a DLT at this grade"),
    "onset_uncertain": _l("partial onset date: it may be outside the DLT window"),
    "cholestasis_not_excluded": _l(
        "ALP is not collected, so cholestasis cannot be excluded: the investigator confirms"
    ),
}
DLT_DECISION = codelists.DLT_DECISION.labels
TASK_ANSWER = codelists.TASK_ANSWER.labels

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
    "visit_status": VISIT_STATUS,
    "tracker_filter": TRACKER_FILTER,
    "crf_status": CRF_STATUS,
    "form_state": FORM_STATE,
    "nrind": NRIND,
    "rescue": RESCUE,
    "cm_category": CM_CATEGORY,
    "route": ROUTE,
    "relatedness": RELATEDNESS,
    "acn": ACN,
    "ae_outcome": AE_OUTCOME,
    "aerel": AEREL,
    "seriousness": SERIOUSNESS,
    "report_kind": REPORT_KIND,
    "clock": CLOCK,
    "dlt_reason": DLT_REASON,
    "dlt_decision": DLT_DECISION,
    "task_answer": TASK_ANSWER,
    **{name: codelists.ALL[name].labels for name in ("exam_result", "serology", "abo")},
    **{name: codelists.ALL[name].labels for name in ("ab_method", "ecog")},
}


def codes(kind: str) -> tuple[str, ...]:
    """The codes of a stored codelist in their order (for a template that lists them)."""
    return codelists.ALL[kind].codes


def label(kind: str, code: str | None) -> str:
    """The translated label of ``code``; the code itself when it has none."""
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))
