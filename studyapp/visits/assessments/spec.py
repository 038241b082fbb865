"""The simple visit forms, each a list of typed fields described once.

A ``SimpleForm`` names its model, the date of the examination or sample, and its fields in
the order of the paper CRF. The form class, the edit checks, the page and the record's
values all come from this description (``forms``, ``service``, ``templates/visits/
assessment.html``); limits and units of numbers come from the protocol file. The registry
(``studyapp.crf.registry``) binds each form code to its description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from studyapp import codelists
from studyapp.codelists import Codelist
from studyapp.crf.checks import EditChecks
from studyapp.protocol.loader import get_protocol
from studyapp.protocol.model import Protocol, RangeLimits, VitalSignDef
from studyapp.visits.assessments import models

DATE, CHOICE, GRADE, YESNO, NUMBER, TEXT = "date", "choice", "grade", "yesno", "number", "text"
ABNORMAL = (codelists.ABNORMAL_NCS, codelists.ABNORMAL_CS)


@dataclass(frozen=True)
class Field:
    """One field of a simple form: a column of its model."""

    name: str
    label: Any
    kind: str
    codelist: Codelist | None = None
    #: A number's unit, limits and decimals, read from the protocol.
    measure: Callable[[Protocol], VitalSignDef] | None = None
    required: bool = False
    #: Required when another field holds one of these codes: (field, codes).
    required_if: tuple[str, tuple[str, ...]] | None = None
    #: Asked only at visits whose forms do not list this form code (recorded there instead).
    unless_form: str | None = None


#: Extra edit checks of a form: (the typed values by field, the subject's Day 1, the checks).
Rule = Callable[[dict[str, Any], date, EditChecks], None]


@dataclass(frozen=True)
class SimpleForm:
    model: type
    #: The date of the examination or sample (checked against the visit window).
    date_field: str
    fields: tuple[Field, ...]
    rule: Rule | None = None

    def shown(self, forms: tuple[str, ...]) -> tuple[Field, ...]:
        """The fields asked at a visit with these form codes."""
        return tuple(f for f in self.fields if f.unless_form is None or f.unless_form not in forms)


def _date(name: str, label: Any) -> Field:
    return Field(name, label, DATE, required=True)


def _result(name: str, label: Any, *, required: bool = True) -> Field:
    return Field(name, label, CHOICE, codelists.SEROLOGY, required=required)


def _ecg(code: str) -> Callable[[Protocol], VitalSignDef]:
    return lambda protocol: protocol.ecg_measure(code)


def hbv_dna(protocol: Protocol) -> VitalSignDef:
    """HBV DNA as a measure: any value from 0 to the protocol's hard limit, whole IU/mL."""
    rule = protocol.virology
    top = rule.hbv_dna_hard_high
    return VitalSignDef(
        "HBVDNA", "HBV DNA", rule.hbv_dna_unit, RangeLimits(Decimal(0), top, Decimal(0), top), 0
    )


def _virology_rule(values: dict[str, Any], _day1: date, checks: EditChecks) -> None:
    """HBV: a positive HBsAg or anti-HBc needs the HBV DNA; viraemia is confirmed."""
    protocol = get_protocol()
    positive = codelists.POSITIVE in (values.get("hbsag"), values.get("anti_hbc"))
    dna = values.get("hbv_dna")
    if positive and dna is None and checks.completing:
        checks.error("hbv_dna", _("HBsAg or anti-HBc is positive: enter the HBV DNA."))
    threshold = protocol.virology.hbv_dna_threshold
    if dna is not None and dna >= threshold:
        checks.warn(
            "hbv_dna",
            _(
                "HBV DNA %(v)s %(u)s is at or above %(t)s %(u)s: hepatitis B viraemia "
                "(exclusion at screening; reactivation on daratumumab). Tell the investigator.",
                v=dna,
                t=threshold,
                u=protocol.virology.hbv_dna_unit,
            ),
        )
    if values.get("hbsag") == codelists.POSITIVE:
        checks.warn("hbsag", _("HBsAg positive: an exclusion criterion. Tell the investigator."))


def _blood_bank_rule(values: dict[str, Any], day1: date, checks: EditChecks) -> None:
    """The type and screen belongs before the first dose: a later sample is confirmed."""
    taken = values.get("bb_date")
    if taken is not None and taken > day1:
        checks.warn(
            "bb_date",
            _(
                "The type and screen is due before the first dose (Day 1, %(d)s); "
                "after it, daratumumab can make the antibody screen falsely positive.",
                d=day1.isoformat(),
            ),
        )


PHYSICAL_EXAM = SimpleForm(
    models.PhysicalExam,
    "pe_date",
    (
        _date("pe_date", _l("Date of examination")),
        Field("pe_result", _l("Overall result"), CHOICE, codelists.EXAM_RESULT, required=True),
        Field(
            "pe_findings",
            _l("Abnormal findings (body system and finding)"),
            TEXT,
            required_if=("pe_result", ABNORMAL),
        ),
        Field("spleen_palpable", _l("Spleen palpable"), YESNO, required=True),
        Field(
            "ecog",
            _l("ECOG performance status"),
            GRADE,
            codelists.ECOG,
            required=True,
            unless_form="ECOG",  # the screening visit records it on the screening values page
        ),
    ),
)

ECG = SimpleForm(
    models.Ecg,
    "eg_date",
    (
        _date("eg_date", _l("Date of ECG")),
        Field("hr", _l("Heart rate"), NUMBER, measure=_ecg("HR"), required=True),
        Field("pr", _l("PR interval"), NUMBER, measure=_ecg("PRAG")),
        Field("qrs", _l("QRS duration"), NUMBER, measure=_ecg("QRSAG"), required=True),
        Field("qt", _l("QT interval"), NUMBER, measure=_ecg("QTAG"), required=True),
        Field("qtcf", _l("QTcF interval"), NUMBER, measure=_ecg("QTCFAG"), required=True),
        Field("eg_result", _l("Interpretation"), CHOICE, codelists.EXAM_RESULT, required=True),
        Field(
            "eg_findings",
            _l("Abnormal findings"),
            TEXT,
            required_if=("eg_result", ABNORMAL),
        ),
    ),
)

VIROLOGY = SimpleForm(
    models.Virology,
    "vr_date",
    (
        _date("vr_date", _l("Sample date")),
        _result("hbsag", _l("HBsAg")),
        _result("anti_hbs", _l("Anti-HBs"), required=False),
        _result("anti_hbc", _l("Anti-HBc")),
        Field("hbv_dna", _l("HBV DNA"), NUMBER, measure=hbv_dna),
        _result("hcv_ab", _l("Anti-HCV")),
        _result("hiv_ab", _l("Anti-HIV")),
        _result("syphilis", _l("Syphilis serology")),
        _result("cmv_dna", _l("CMV DNA"), required=False),
        _result("ebv_dna", _l("EBV DNA"), required=False),
    ),
    _virology_rule,
)

BLOOD_BANK = SimpleForm(
    models.BloodBank,
    "bb_date",
    (
        _date("bb_date", _l("Sample date")),
        Field("abo", _l("ABO group"), CHOICE, codelists.ABO, required=True),
        _result("rhd", _l("RhD")),
        _result("antibody_screen", _l("Antibody screen (indirect antiglobulin test)")),
        _result("dat", _l("Direct antiglobulin test (DAT)"), required=False),
        Field("phenotype", _l("Extended phenotype (Rh, Kell, Kidd, Duffy, MNS)"), TEXT),
        Field("bank_informed", _l("Blood bank informed of daratumumab"), YESNO, required=True),
        Field("card_issued", _l("Patient card issued"), YESNO),
    ),
    _blood_bank_rule,
)

PLATELET_ANTIBODY = SimpleForm(
    models.PlateletAntibody,
    "ab_date",
    (
        _date("ab_date", _l("Sample date")),
        Field("ab_method", _l("Method"), CHOICE, codelists.AB_METHOD, required=True),
        _result("gp2b3a", _l("Anti-GPIIb/IIIa")),
        _result("gp1b9", _l("Anti-GPIb/IX")),
    ),
)
