"""The coded values the CRF tables store, each written once: codes in order, with their labels.

A model's allowed values, the form's choices, the service's validation, the label a page or
the SAE PDF shows (``studyapp.subjects.labels.label``) and the templates all read the codelist
here, so a code cannot be spelled in one place and missed in another. The codes are the stored
values (CDISC submission values where CDISC has a codelist); the labels are translated.

One module below every feature rather than one per feature: the label table serves all
features and templates, and a table in ``subjects`` that imported ``safety`` and ``visits``
would tie the packages in a cycle. Values the protocol chooses (relationship steps, rescue
types, bleeding grades) live in the protocol file; only their labels are in ``labels.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class Codelist:
    """An ordered codelist: ``(code, label)`` pairs; ``in`` and iteration go by code."""

    name: str
    items: tuple[tuple[str, LazyString], ...]

    def __post_init__(self) -> None:
        codes = [code for code, _label in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"codelist {self.name}: duplicate code in {codes}")

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes in order: what the column may hold."""
        return tuple(code for code, _label in self.items)

    @property
    def labels(self) -> dict[str, LazyString]:
        """Code -> translated label, for ``studyapp.subjects.labels``."""
        return dict(self.items)

    def choices(self) -> list[tuple[str, str]]:
        """``(code, label)`` pairs for a select field, in the current language."""
        return [(code, str(label)) for code, label in self.items]

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)


# --- adverse events (studyapp.safety.models.AdverseEvent) ------------------------------------

#: CDISC ACN (action taken with study treatment): ``AdverseEvent.aeacn``.
ACN = Codelist(
    "acn",
    (
        ("DOSE NOT CHANGED", _l("dose not changed")),
        ("DOSE RATE REDUCED", _l("infusion rate reduced")),
        ("DRUG INTERRUPTED", _l("infusion interrupted")),
        ("DRUG WITHDRAWN", _l("drug withdrawn")),
        ("NOT APPLICABLE", _l("not applicable")),
        ("UNKNOWN", _l("unknown")),
    ),
)
DOSE_NOT_CHANGED = "DOSE NOT CHANGED"

#: CDISC OUT (outcome of event): ``AdverseEvent.aeout``.
RECOVERED = "RECOVERED/RESOLVED"
RECOVERING = "RECOVERING/RESOLVING"
NOT_RECOVERED = "NOT RECOVERED/NOT RESOLVED"
RECOVERED_WITH_SEQUELAE = "RECOVERED/RESOLVED WITH SEQUELAE"
FATAL = "FATAL"
UNKNOWN = "UNKNOWN"
AE_OUTCOME = Codelist(
    "ae_outcome",
    (
        (RECOVERED, _l("recovered")),
        (RECOVERING, _l("recovering")),
        (NOT_RECOVERED, _l("not recovered")),
        (RECOVERED_WITH_SEQUELAE, _l("recovered with sequelae")),
        (FATAL, _l("fatal")),
        (UNKNOWN, _l("unknown")),
    ),
)
#: Outcomes an event still going on may have, and those of an event with an end date.
ONGOING_OUTCOMES = (RECOVERING, NOT_RECOVERED, UNKNOWN)
ENDED_OUTCOMES = (RECOVERED, RECOVERED_WITH_SEQUELAE, FATAL)

#: AEREL as stored: the protocol's relationship step (``safety.related_from`` or closer) made
#: binary for SDTM.
RELATED, NOT_RELATED = "RELATED", "NOT RELATED"
AEREL = Codelist("aerel", ((RELATED, _l("related")), (NOT_RELATED, _l("not related"))))

#: ICH E2A seriousness criteria; the codes are the SDTM variable names, one boolean column each.
DEATH_CRITERION = "aesdth"
SERIOUSNESS = Codelist(
    "seriousness",
    (
        (DEATH_CRITERION, _l("results in death")),
        ("aeslife", _l("life-threatening")),
        ("aeshosp", _l("requires or prolongs hospitalisation")),
        ("aesdisab", _l("persistent or significant disability")),
        ("aescong", _l("congenital anomaly or birth defect")),
        ("aesmie", _l("other important medical event")),
    ),
)

#: DLT decisions of the investigator on a candidate (``DltReview.decision``).
CONFIRMED, REJECTED = "confirmed", "rejected"
DLT_DECISION = Codelist(
    "dlt_decision",
    ((CONFIRMED, _l("confirmed DLT")), (REJECTED, _l("rejected: not a DLT"))),
)

#: Answers to a lab-to-AE task.
RECORDED_AE, NOT_AE = "ae", "not_ae"
TASK_ANSWER = Codelist(
    "task_answer",
    ((RECORDED_AE, _l("adverse event recorded")), (NOT_AE, _l("not an adverse event"))),
)

# --- subjects (studyapp.subjects.models) -----------------------------------------------------

#: CDISC DSDECOD values a subject can leave the study with: ``Subject.disposition``.
COMPLETED = "COMPLETED"
DEATH = "DEATH"
DISPOSITION = Codelist(
    "disposition",
    (
        (COMPLETED, _l("completed")),
        ("WITHDRAWAL BY SUBJECT", _l("withdrawal by subject")),
        ("LOST TO FOLLOW-UP", _l("lost to follow-up")),
        (DEATH, _l("death")),
        ("ADVERSE EVENT", _l("adverse event")),
        ("PHYSICIAN DECISION", _l("physician decision")),
    ),
)

#: Prior-therapy categories (``PriorTherapy.category``); the eligibility criteria read some.
CORTICOSTEROID, RITUXIMAB, TPO_RA, ANTI_CD38 = "corticosteroid", "rituximab", "tpo_ra", "anti_cd38"
THERAPY = Codelist(
    "therapy",
    (
        (CORTICOSTEROID, _l("corticosteroid")),
        ("ivig", _l("IVIG")),
        (RITUXIMAB, _l("rituximab")),
        (TPO_RA, _l("TPO receptor agonist")),
        ("immunosuppressant", _l("immunosuppressant")),
        ("splenectomy", _l("splenectomy")),
        (ANTI_CD38, _l("anti-CD38 antibody")),
        ("other", _l("other")),
    ),
)

#: Best response to a prior therapy (``PriorTherapy.response``).
PRIOR_RESPONSE = Codelist(
    "response",
    (
        ("CR", _l("complete response (CR)")),
        ("R", _l("response (R)")),
        ("NR", _l("no response (NR)")),
        ("UNKNOWN", _l("unknown")),
    ),
)

#: Why a prior therapy stopped (``PriorTherapy.stop_reason``).
STOP_REASON = Codelist(
    "stop_reason",
    (
        ("NO RESPONSE", _l("no response")),
        ("RELAPSE", _l("relapse")),
        ("INTOLERANCE", _l("intolerance")),
        ("COMPLETED", _l("course completed")),
        ("OTHER", _l("other")),
    ),
)

# --- visit CRFs (studyapp.visits.models) -----------------------------------------------------

#: CM categories (CMCAT): ``Medication.category``; rescue therapy feeds the response rules.
CONCOMITANT, RESCUE = "CONCOMITANT", "RESCUE"
CM_CATEGORY = Codelist(
    "cm_category",
    ((CONCOMITANT, _l("concomitant medication")), (RESCUE, _l("rescue therapy"))),
)

#: CDISC ROUTE submission values offered on the medication form: ``Medication.route``.
ROUTE = Codelist(
    "route",
    (
        ("ORAL", _l("oral")),
        ("INTRAVENOUS", _l("intravenous")),
        ("SUBCUTANEOUS", _l("subcutaneous")),
        ("INTRAMUSCULAR", _l("intramuscular")),
        ("TOPICAL", _l("topical")),
        ("INHALATION", _l("inhalation")),
        ("OTHER", _l("other")),
    ),
)

#: CDISC NRIND (reference range indicator): ``LabResult.nrind``.
LOW, HIGH, NORMAL = "LOW", "HIGH", "NORMAL"
NRIND = Codelist("nrind", ((LOW, _l("low")), (HIGH, _l("high")), (NORMAL, _l("normal"))))

# --- simple visit forms (studyapp.visits.assessments.models) -----------------------------------

#: Overall result of an examination (PE, ECG): ``PhysicalExam.pe_result``, ``Ecg.eg_result``.
ABNORMAL_NCS, ABNORMAL_CS = "ABNORMAL NCS", "ABNORMAL CS"
EXAM_RESULT = Codelist(
    "exam_result",
    (
        (NORMAL, _l("normal")),
        (ABNORMAL_NCS, _l("abnormal, not clinically significant")),
        (ABNORMAL_CS, _l("abnormal, clinically significant")),
    ),
)

#: A qualitative test result (CDISC POSITIVE/NEGATIVE): serology, DNA detection, antibodies.
POSITIVE, NEGATIVE, NOT_DONE = "POSITIVE", "NEGATIVE", "NOT DONE"
SEROLOGY = Codelist(
    "serology",
    ((POSITIVE, _l("positive")), (NEGATIVE, _l("negative")), (NOT_DONE, _l("not done"))),
)

#: ABO blood group: ``BloodBank.abo``.
ABO = Codelist("abo", (("A", _l("A")), ("B", _l("B")), ("AB", _l("AB")), ("O", _l("O"))))

#: Anti-platelet antibody assay: ``PlateletAntibody.ab_method``.
AB_METHOD = Codelist(
    "ab_method",
    (
        ("ELISA", _l("ELISA")),
        ("MAIPA", _l("MAIPA (monoclonal antibody immobilisation of platelet antigens)")),
    ),
)

#: ECOG performance status (Oken et al. 1982): ``PhysicalExam.ecog`` as text codes 0-5.
ECOG = Codelist(
    "ecog",
    (
        ("0", _l("0: fully active")),
        ("1", _l("1: restricted in strenuous activity, ambulatory")),
        ("2", _l("2: ambulatory, capable of self-care, unable to work")),
        ("3", _l("3: limited self-care, in bed or chair more than half of waking hours")),
        ("4", _l("4: completely disabled")),
        ("5", _l("5: dead")),
    ),
)

#: Every codelist above, by the name ``labels.label(kind, code)`` knows it by.
ALL: dict[str, Codelist] = {
    c.name: c
    for c in (
        ACN,
        AE_OUTCOME,
        AEREL,
        SERIOUSNESS,
        DLT_DECISION,
        TASK_ANSWER,
        DISPOSITION,
        THERAPY,
        PRIOR_RESPONSE,
        STOP_REASON,
        CM_CATEGORY,
        ROUTE,
        NRIND,
        EXAM_RESULT,
        SEROLOGY,
        ABO,
        AB_METHOD,
        ECOG,
    )
}
