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
VISIT_STATUS = {
    "upcoming": _l("upcoming"),
    "due": _l("due"),
    "overdue": _l("overdue"),
    "overdue_week": _l("overdue this week"),
    "missed": _l("missed (not done)"),
    "done": _l("done"),
    "done_out_of_window": _l("done out of window"),
    "not_expected": _l("not expected (left the study)"),
}
TRACKER_FILTER = {
    "all": _l("all"),
    "due": _l("due"),
    "overdue": _l("overdue"),
    "overdue_week": _l("overdue this week"),
    "out_of_window": _l("out of window"),
    "missed": _l("missed"),
}
CRF_STATUS = {
    "in_progress": _l("in progress"),
    "complete": _l("complete"),
    "recorded": _l("recorded"),
}
NRIND = {"LOW": _l("low"), "HIGH": _l("high"), "NORMAL": _l("normal")}
RESCUE = {
    "IVIG": _l("IVIG"),
    "CORTICOSTEROID": _l("corticosteroids"),
    "PLATELET_TRANSFUSION": _l("platelet transfusion"),
    "TPO_RA_INCREASE": _l("TPO-RA started or increased"),
    "OTHER": _l("other rescue therapy"),
}
CM_CATEGORY = {"CONCOMITANT": _l("concomitant medication"), "RESCUE": _l("rescue therapy")}
ROUTE = {
    "ORAL": _l("oral"),
    "INTRAVENOUS": _l("intravenous"),
    "SUBCUTANEOUS": _l("subcutaneous"),
    "INTRAMUSCULAR": _l("intramuscular"),
    "TOPICAL": _l("topical"),
    "INHALATION": _l("inhalation"),
    "OTHER": _l("other"),
}
RELATEDNESS = {
    "not_related": _l("not related"),
    "unlikely": _l("unlikely related"),
    "possibly": _l("possibly related"),
    "probably": _l("probably related"),
    "definite": _l("definitely related"),
}
ACN = {
    "DOSE NOT CHANGED": _l("dose not changed"),
    "DOSE RATE REDUCED": _l("infusion rate reduced"),
    "DRUG INTERRUPTED": _l("infusion interrupted"),
    "DRUG WITHDRAWN": _l("drug withdrawn"),
    "NOT APPLICABLE": _l("not applicable"),
    "UNKNOWN": _l("unknown"),
}
AE_OUTCOME = {
    "RECOVERED/RESOLVED": _l("recovered"),
    "RECOVERING/RESOLVING": _l("recovering"),
    "NOT RECOVERED/NOT RESOLVED": _l("not recovered"),
    "RECOVERED/RESOLVED WITH SEQUELAE": _l("recovered with sequelae"),
    "FATAL": _l("fatal"),
    "UNKNOWN": _l("unknown"),
}
SERIOUSNESS = {
    "aesdth": _l("results in death"),
    "aeslife": _l("life-threatening"),
    "aeshosp": _l("requires or prolongs hospitalisation"),
    "aesdisab": _l("persistent or significant disability"),
    "aescong": _l("congenital anomaly or birth defect"),
    "aesmie": _l("other important medical event"),
}
REPORT_KIND = {
    "SAE": _l("initial SAE report to the sponsor"),
    "FOLLOWUP": _l("follow-up report"),
    "SUSAR_FATAL": _l("SUSAR, fatal or life-threatening: 7-day report"),
    "SUSAR_FATAL_FOLLOWUP": _l("SUSAR 7-day report: follow-up"),
    "SUSAR": _l("SUSAR: 15-day report"),
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
}
DLT_DECISION = {"confirmed": _l("confirmed DLT"), "rejected": _l("rejected: not a DLT")}
TASK_ANSWER = {"ae": _l("adverse event recorded"), "not_ae": _l("not an adverse event")}

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
    "nrind": NRIND,
    "rescue": RESCUE,
    "cm_category": CM_CATEGORY,
    "route": ROUTE,
    "relatedness": RELATEDNESS,
    "acn": ACN,
    "ae_outcome": AE_OUTCOME,
    "seriousness": SERIOUSNESS,
    "report_kind": REPORT_KIND,
    "clock": CLOCK,
    "dlt_reason": DLT_REASON,
    "dlt_decision": DLT_DECISION,
    "task_answer": TASK_ANSWER,
}


def label(kind: str, code: str | None) -> str:
    """The translated label of ``code``; the code itself when it has none."""
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))
