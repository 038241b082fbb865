"""Events and the medication record: AE (adverse events), MH (medical history, with the ITP
diagnosis) and CM (prior ITP therapy, concomitant and rescue medication, premedication)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from studyapp.exports.sdtm.common import SubjectRef, doses, dtc, yn
from studyapp.exports.sdtm.spec import NUM, Domain, variables
from studyapp.exports.sdtm.special import screening_visit
from studyapp.extensions import db
from studyapp.protocol.loader import get_protocol
from studyapp.safety.models import CRITERIA, AdverseEvent
from studyapp.subjects.models import MedicalHistory, PriorTherapy
from studyapp.visits.models import DoseAdministration, Medication

IRR_CATEGORY = "INFUSION RELATED REACTION"
ITP_TERM, PRIMARY, GENERAL = "Immune thrombocytopenia", "PRIMARY DIAGNOSIS", "GENERAL"
PRIOR, PREMEDICATION, ONGOING = "PRIOR ITP THERAPY", "PREMEDICATION", "ONGOING"


def _ae_visit(ref: SubjectRef, dose_id: int | None) -> dict[str, Any]:
    dose = db.session.get(DoseAdministration, dose_id) if dose_id is not None else None
    return ref.visit(dose.visit_id if dose is not None else None)


def ae_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    query = (
        select(AdverseEvent)
        .where(AdverseEvent.subject_id == ref.subject.id, AdverseEvent.deleted_at.is_(None))
        .where(ref.scope.started(AdverseEvent.start_date))
        .order_by(AdverseEvent.aespid)
    )
    for ae in db.session.scalars(query):
        yield {
            "AESPID": str(ae.aespid),
            "AETERM": ae.aeterm,
            "AEDECOD": ae.aedecod,
            "AEBODSYS": ae.aesoc,
            "AECAT": IRR_CATEGORY if ae.irr else None,
            **_ae_visit(ref, ae.dose_id),
            "AESTDTC": ae.start_date,
            "AEENDTC": ae.end_date,
            "AEENRF": "ONGOING" if ae.ongoing else None,
            "AETOXGR": str(ae.grade) if ae.grade is not None else None,
            "AESER": yn(ae.aeser),
            **{code.upper(): yn(getattr(ae, code)) for code in CRITERIA},
            "AEREL": ae.aerel,
            "AEACN": ae.aeacn,
            "AEOUT": ae.aeout,
        }


AE = Domain(
    "AE",
    "Adverse Events",
    variables(
        "AE",
        ("AESPID", "Sponsor-Defined Identifier"),
        ("AETERM", "Reported Term for the Adverse Event"),
        ("AEDECOD", "Dictionary-Derived Term"),
        ("AEBODSYS", "Body System or Organ Class"),
        ("AECAT", "Category for Adverse Event"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("AESTDTC", "Start Date/Time of Adverse Event"),
        ("AEENDTC", "End Date/Time of Adverse Event"),
        ("AESTDY", "Study Day of Start of Adverse Event", NUM),
        ("AEENDY", "Study Day of End of Adverse Event", NUM),
        ("AEENRF", "End Relative to Reference Period"),
        ("AETOXGR", "Standard Toxicity Grade"),
        ("AESER", "Serious Event"),
        ("AESDTH", "Results in Death"),
        ("AESLIFE", "Is Life Threatening"),
        ("AESHOSP", "Requires or Prolongs Hospitalization"),
        ("AESDISAB", "Persist or Signif Disability/Incapacity"),
        ("AESCONG", "Congenital Anomaly or Birth Defect"),
        ("AESMIE", "Other Medically Important Serious Event"),
        ("AEREL", "Causality"),
        ("AEACN", "Action Taken with Study Treatment"),
        ("AEOUT", "Outcome of Adverse Event"),
    ),
    ae_rows,
    days={"AESTDY": "AESTDTC", "AEENDY": "AEENDTC"},
    epoch_from="AESTDTC",
)


def _screening() -> dict[str, Any]:
    visit = screening_visit()
    return {"VISITNUM": visit.visitnum, "VISIT": visit.name}


def mh_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    subject = ref.subject
    collected = {**_screening(), "MHDTC": dtc(subject.screening_date)}
    if subject.itp_diagnosis_date:
        yield {
            "MHTERM": ITP_TERM,
            "MHCAT": PRIMARY,
            "MHSTDTC": subject.itp_diagnosis_date,
            "MHENRTPT": ONGOING,
            "MHENTPT": collected["MHDTC"],
            **collected,
        }
    query = (
        select(MedicalHistory)
        .where(MedicalHistory.subject_id == subject.id, MedicalHistory.deleted_at.is_(None))
        .order_by(MedicalHistory.id)
    )
    for row in db.session.scalars(query):
        yield {
            "MHTERM": row.term,
            "MHCAT": GENERAL,
            "MHSTDTC": row.start_date,
            "MHENDTC": row.end_date,
            "MHENRTPT": ONGOING if row.ongoing else None,
            "MHENTPT": collected["MHDTC"] if row.ongoing else None,
            **collected,
        }


MH = Domain(
    "MH",
    "Medical History",
    variables(
        "MH",
        ("MHTERM", "Reported Term for the Medical History"),
        ("MHCAT", "Category for Medical History"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("MHDTC", "Date/Time of History Collection"),
        ("MHDY", "Study Day of History Collection", NUM),
        ("MHSTDTC", "Start Date/Time of Medical History Event"),
        ("MHENDTC", "End Date/Time of Medical History Event"),
        ("MHENRTPT", "End Relative to Reference Time Point"),
        ("MHENTPT", "End Reference Time Point"),
    ),
    mh_rows,
    days={"MHDY": "MHDTC"},
    epoch_from="MHDTC",
)


def prior_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    query = (
        select(PriorTherapy)
        .where(PriorTherapy.subject_id == ref.subject.id, PriorTherapy.deleted_at.is_(None))
        .order_by(PriorTherapy.id)
    )
    for row in db.session.scalars(query):
        yield {
            "CMTRT": row.name,
            "CMCAT": PRIOR,
            "CMSCAT": row.category.upper(),
            "CMSTDTC": row.start_date,
            "CMENDTC": row.stop_date,
            **_screening(),
        }


def medication_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    query = (
        select(Medication)
        .where(Medication.subject_id == ref.subject.id, Medication.deleted_at.is_(None))
        .where(ref.scope.started(Medication.start_date))
        .order_by(Medication.start_date, Medication.id)
    )
    for row in db.session.scalars(query):
        yield {
            "CMTRT": row.trt,
            "CMCAT": row.category,
            "CMSCAT": row.rescue_type,
            "CMINDC": row.indication,
            "CMDOSE": row.dose,
            "CMDOSU": row.dose_unit,
            "CMDOSFRQ": row.frequency,
            "CMROUTE": row.route,
            **ref.visit(row.visit_id),
            "CMSTDTC": row.start_date,
            "CMENDTC": row.end_date,
            "CMENRTPT": ONGOING if row.ongoing else None,
        }


def premedication_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    """One row per premedication given before an infusion (the dosing form's doses in mg)."""
    premeds = get_protocol().premedications
    for dose in doses(ref.subject.id, ref.scope):
        for premed in premeds:
            given = getattr(dose, f"premed_{premed.code.lower()}", None)
            if not given:
                continue
            yield {
                "CMTRT": premed.name,
                "CMCAT": PREMEDICATION,
                "CMDOSE": given,
                "CMDOSU": dose.premed_unit,
                "CMROUTE": premed.route,
                **ref.visit(dose.visit_id),
                "CMSTDTC": dtc(dose.ec_date, dose.premed_time),
            }


def cm_rows(ref: SubjectRef) -> Iterator[dict[str, Any]]:
    yield from prior_rows(ref)
    yield from medication_rows(ref)
    yield from premedication_rows(ref)


CM = Domain(
    "CM",
    "Concomitant/Concurrent Medications",
    variables(
        "CM",
        ("CMTRT", "Reported Name of Drug, Med, or Therapy"),
        ("CMCAT", "Category for Medication"),
        ("CMSCAT", "Subcategory for Medication"),
        ("CMINDC", "Indication"),
        ("CMDOSE", "Dose per Administration", NUM),
        ("CMDOSU", "Dose Units"),
        ("CMDOSFRQ", "Dosing Frequency per Interval"),
        ("CMROUTE", "Route of Administration"),
        ("VISITNUM", "Visit Number", NUM),
        ("VISIT", "Visit Name"),
        ("EPOCH", "Epoch"),
        ("CMSTDTC", "Start Date/Time of Medication"),
        ("CMENDTC", "End Date/Time of Medication"),
        ("CMSTDY", "Study Day of Start of Medication", NUM),
        ("CMENDY", "Study Day of End of Medication", NUM),
        ("CMENRTPT", "End Relative to Reference Time Point"),
    ),
    cm_rows,
    days={"CMSTDY": "CMSTDTC", "CMENDY": "CMENDTC"},
    epoch_from="CMSTDTC",
)

DOMAINS = (MH, CM, AE)
