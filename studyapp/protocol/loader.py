"""Read and validate the protocol TOML into frozen dataclasses.

``load_protocol(path)`` parses a file; ``get_protocol()`` returns the packaged
``itp_daratumumab.toml``, parsed once. A bad file raises ValueError naming the key path (for
example ``visits[3].window_before``) and what is allowed; unknown keys are rejected too, so a
typo cannot silently fall back to a default.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from studyapp.protocol.model import (
    BleedingItemDef,
    BleedingScale,
    ConsentFormVersion,
    DltDefinition,
    DoseRule,
    EligibilityCriterion,
    InfusionRule,
    LabTestDef,
    NormalRange,
    PremedicationDef,
    Protocol,
    RangeLimits,
    ResponseRule,
    RunInRule,
    SafetyRule,
    SiteInfo,
    StudyInfo,
    VisitDef,
    VitalSignDef,
)
from studyapp.protocol.units import known_units

DEFAULT_PATH = Path(__file__).with_name("itp_daratumumab.toml")

T = TypeVar("T")


class _Table:
    """A TOML table with its key path; typed getters raise ValueError naming the key."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a table, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, kind: type[T], what: str, default: Any = ...) -> T:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise ValueError(f"{self._key(key)}: missing; expected {what}")
            return default  # type: ignore[no-any-return]
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{self._key(key)}: expected {what}, got {value!r}")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        return self._get(key, str, "a string", default)

    def integer(self, key: str, default: Any = ...) -> int:
        return self._get(key, int, "an integer", default)

    def flag(self, key: str, default: Any = ...) -> bool:
        return self._get(key, bool, "true or false", default)

    def day(self, key: str, default: Any = ...) -> date:
        return self._get(key, date, "a date (YYYY-MM-DD, unquoted)", default)

    def number(self, key: str, default: Any = ...) -> Decimal:
        return to_decimal(self._get(key, object, "a number", default), self._key(key))

    def texts(self, key: str, default: Any = ...) -> tuple[str, ...]:
        values = self._get(key, list, "a list of strings", default)
        if not all(isinstance(v, str) for v in values):
            raise ValueError(f"{self._key(key)}: expected a list of strings, got {values!r}")
        return tuple(values)

    def table(self, key: str) -> _Table:
        return _Table(self._get(key, dict, "a table"), self._key(key))

    def tables(self, key: str, default: Any = ...) -> list[_Table]:
        items = self._get(key, list, "an array of tables", default)
        return [_Table(item, f"{self._key(key)}[{i}]") for i, item in enumerate(items)]

    def done(self) -> None:
        """Reject keys that no reader asked for (typos, misplaced keys)."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ValueError(
                f"{self.path or 'top level'}: unknown key(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(self.used))}"
            )


def to_decimal(value: object, key: str) -> Decimal:
    """Convert a TOML number or numeric string to Decimal; ValueError naming *key* if not."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{key}: expected a finite number, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{key}: expected a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"{key}: expected a finite number, got {value!r}")
    return result


def _build(table: _Table, build: Callable[[_Table], T]) -> T:
    """Build one object, check for unknown keys, and prefix model errors with the key path."""
    try:
        result = build(table)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(
            message if message.startswith(table.path) else f"{table.path}: {message}"
        ) from None
    table.done()
    return result


def _study(t: _Table) -> StudyInfo:
    return StudyInfo(
        t.text("id"),
        t.text("title"),
        t.text("version"),
        t.texts("registry_ids", ()),
        t.integer("target_enrolment"),
    )


def _site(t: _Table) -> SiteInfo:
    return SiteInfo(
        t.text("code"),
        t.text("name"),
        t.text("screening_prefix"),
        t.integer("screening_number_width"),
        t.text("subject_prefix"),
        t.integer("subject_number_width"),
        t.integer("screening_window_days"),
    )


def _consent(t: _Table) -> ConsentFormVersion:
    return ConsentFormVersion(t.text("version"), t.day("effective_date"), t.text("description", ""))


def _visit(t: _Table) -> VisitDef:
    return VisitDef(
        code=t.text("code"),
        visitnum=t.number("visitnum"),
        name=t.text("name"),
        day=t.integer("day", None),
        window_before=t.integer("window_before", 0),
        window_after=t.integer("window_after", 0),
        forms=t.texts("forms"),
        unscheduled=t.flag("unscheduled", False),
    )


def _dosing(t: _Table) -> DoseRule:
    return DoseRule(
        drug=t.text("drug"),
        route=t.text("route"),
        mg_per_kg=t.number("mg_per_kg"),
        number_of_doses=t.integer("number_of_doses"),
        interval_days=t.integer("interval_days"),
        first_dose_day=t.integer("first_dose_day"),
        rounding_mg=t.number("rounding_mg"),
        reweigh_threshold_pct=t.number("reweigh_threshold_pct"),
        tolerance_pct=t.number("tolerance_pct"),
        concentration_mg_per_ml=t.number("concentration_mg_per_ml"),
        split_first_dose_allowed=t.flag("split_first_dose_allowed"),
    )


#: Criterion values that stand for the lab's normal range limits instead of a number.
LIMIT_REFERENCES = ("ULN", "LLN")


def _criterion_value(t: _Table) -> Decimal | bool | str | None:
    operator = t.data.get("operator")
    raw = t._get("value", object, "a number, string or boolean", None)
    if raw in LIMIT_REFERENCES and operator not in ("==", "!="):
        return str(raw)  # compared with the lab's normal range limit
    if raw is None or operator in ("==", "!="):
        return raw if isinstance(raw, bool | str | None) else to_decimal(raw, t._key("value"))
    return to_decimal(raw, t._key("value"))


def _window(t: _Table) -> tuple[int, int] | None:
    raw = t._get("window", list, "[first_day, last_day]", None)
    if raw is None:
        return None
    ok = len(raw) == 2 and all(isinstance(d, int) and not isinstance(d, bool) for d in raw)
    if not ok or raw[0] > raw[1] or 0 in raw:
        raise ValueError(
            f"{t._key('window')}: expected [first_day, last_day] study days (no day 0), "
            f"first <= last, got {raw!r}"
        )
    return (raw[0], raw[1])


def _criterion(t: _Table) -> EligibilityCriterion:
    return EligibilityCriterion(
        code=t.text("code"),
        kind=t.text("kind"),
        text=t.text("text"),
        check=t.text("check"),
        field=t.text("field", None),
        operator=t.text("operator", None),
        value=_criterion_value(t),
        unit=t.text("unit", None),
        window=_window(t),
        effective_from=t.day("effective_from", None),
        effective_to=t.day("effective_to", None),
    )


def _range(t: _Table) -> NormalRange:
    return NormalRange(
        t.text("sex"), t.number("low"), t.number("high"), t.day("effective_from", None)
    )


def _limits(t: _Table, hard_low_default: Any = ...) -> RangeLimits:
    """Hard and plausible limits written as flat keys of a lab or vital-sign entry."""
    return RangeLimits(
        hard_low=t.number("hard_low", hard_low_default),
        hard_high=t.number("hard_high"),
        plausible_low=t.number("plausible_low"),
        plausible_high=t.number("plausible_high"),
    )


def _lab(t: _Table) -> LabTestDef:
    testcd = t.text("testcd")
    si_unit = t.text("si_unit")
    accepted = t.texts("accepted_units")
    known = known_units(testcd)
    for unit in (si_unit, *accepted):
        if unit not in known:
            raise ValueError(
                f"{t.path}: unit {unit!r} of {testcd} has no conversion; known: {', '.join(known)}"
            )
    return LabTestDef(
        testcd=testcd,
        name=t.text("name"),
        category=t.text("category"),
        si_unit=si_unit,
        accepted_units=accepted,
        ranges=tuple(_build(r, _range) for r in t.tables("ranges")),
        ctcae_graded=t.flag("ctcae_graded"),
        limits=_limits(t, hard_low_default="0"),
        decimals=t.integer("decimals"),
    )


def _vital(t: _Table) -> VitalSignDef:
    return VitalSignDef(
        code=t.text("code"),
        name=t.text("name"),
        unit=t.text("unit"),
        limits=_limits(t),
        decimals=t.integer("decimals"),
    )


def _bleeding_item(t: _Table) -> BleedingItemDef:
    return BleedingItemDef(
        domain=t.text("domain"),
        code=t.text("code"),
        name=t.text("name"),
        max_grade=t.integer("max_grade"),
    )


def _bleeding(t: _Table) -> BleedingScale:
    return BleedingScale(
        who_grades=t.texts("who_grades"),
        items=tuple(_build(i, _bleeding_item) for i in t.tables("items")),
    )


def _infusion(t: _Table) -> InfusionRule:
    return InfusionRule(
        first_volume_ml=t.number("first_volume_ml"),
        later_volume_ml=t.number("later_volume_ml"),
        first_start_rate_ml_h=t.number("first_start_rate_ml_h"),
        later_start_rate_ml_h=t.number("later_start_rate_ml_h"),
        rate_increment_ml_h=t.number("rate_increment_ml_h"),
        increment_minutes=t.integer("increment_minutes"),
        max_rate_ml_h=t.number("max_rate_ml_h"),
    )


def _premedication(t: _Table) -> PremedicationDef:
    return PremedicationDef(
        code=t.text("code"),
        name=t.text("name"),
        route=t.text("route"),
        dose_low=t.number("dose_low"),
        dose_high=t.number("dose_high"),
        unit=t.text("unit"),
        hours_before_low=t.integer("hours_before_low"),
        hours_before_high=t.integer("hours_before_high"),
    )


def _rescue_types(t: _Table) -> tuple[str, ...]:
    return t.texts("rescue_types")


def _run_in(t: _Table) -> RunInRule:
    return RunInRule(
        subjects=t.integer("subjects"),
        min_days_between_first_doses=t.integer("min_days_between_first_doses"),
        dlt_window_first_day=t.integer("dlt_window_first_day"),
        dlt_window_last_day=t.integer("dlt_window_last_day"),
        expansion_subjects=t.integer("expansion_subjects"),
        open_if_dlt_at_most=t.integer("open_if_dlt_at_most"),
        open_after_expansion_if_dlt_at_most=t.integer("open_after_expansion_if_dlt_at_most"),
        halt_if_dlt_at_least=t.integer("halt_if_dlt_at_least"),
        signoff_roles=t.texts("signoff_roles"),
    )


def _dlt(t: _Table) -> DltDefinition:
    return DltDefinition(
        min_relatedness=t.text("min_relatedness"),
        nonhematologic_min_grade=t.integer("nonhematologic_min_grade"),
        irr_grade3_resolution_hours=t.integer("irr_grade3_resolution_hours"),
        gi_grade3_control_hours=t.integer("gi_grade3_control_hours"),
        lab_grade3_resolution_days=t.integer("lab_grade3_resolution_days"),
        irr_or_anaphylaxis_min_grade=t.integer("irr_or_anaphylaxis_min_grade"),
        neutropenia_grade4_min_days=t.integer("neutropenia_grade4_min_days"),
        bleeding_min_who_grade=t.integer("bleeding_min_who_grade"),
        febrile_neutropenia=t.flag("febrile_neutropenia"),
        hys_law=t.flag("hys_law"),
        death=t.flag("death"),
        low_platelets_alone=t.flag("low_platelets_alone"),
        hematologic_socs=t.texts("hematologic_socs"),
        hematologic_terms=t.texts("hematologic_terms"),
        irr_terms=t.texts("irr_terms"),
        gi_socs=t.texts("gi_socs"),
        lab_socs=t.texts("lab_socs"),
        neutropenia_term=t.text("neutropenia_term"),
        febrile_neutropenia_term=t.text("febrile_neutropenia_term"),
        platelet_term=t.text("platelet_term"),
        irr_term=t.text("irr_term"),
    )


def _response(t: _Table) -> ResponseRule:
    return ResponseRule(
        platelet_test=t.text("platelet_test"),
        cr_threshold=t.number("cr_threshold"),
        r_threshold=t.number("r_threshold"),
        r_baseline_multiple=t.number("r_baseline_multiple"),
        confirmation_days=t.integer("confirmation_days"),
        loss_confirmation_days=t.integer("loss_confirmation_days"),
        rescue_exclusion_days=t.integer("rescue_exclusion_days"),
        bleeding_min_who_grade=t.integer("bleeding_min_who_grade"),
        durable_threshold=t.number("durable_threshold"),
        durable_k=t.integer("durable_k"),
        durable_n=t.integer("durable_n"),
    )


def _safety(t: _Table) -> SafetyRule:
    keys = (
        "ae_task_min_grade",
        "sae_sponsor_hours",
        "susar_fatal_days",
        "susar_followup_extra_days",
        "susar_other_days",
        "sae_lab_window_days",
    )
    return SafetyRule(
        **{k: t.integer(k) for k in keys},
        relatedness=t.texts("relatedness"),
        related_from=t.text("related_from"),
        grade_change=t.text("grade_change"),
    )


def protocol_from_dict(data: dict[str, Any]) -> Protocol:
    """Build and validate a Protocol from parsed TOML; ValueError names the offending key."""
    top = _Table(data, "")
    protocol = Protocol(
        study=_build(top.table("study"), _study),
        site=_build(top.table("site"), _site),
        consent_forms=tuple(_build(t, _consent) for t in top.tables("consent_forms")),
        visits=tuple(_build(t, _visit) for t in top.tables("visits")),
        dosing=_build(top.table("dosing"), _dosing),
        eligibility=tuple(_build(t, _criterion) for t in top.tables("eligibility")),
        labs=tuple(_build(t, _lab) for t in top.tables("labs")),
        run_in=_build(top.table("run_in"), _run_in),
        dlt=_build(top.table("dlt"), _dlt),
        response=_build(top.table("response"), _response),
        safety=_build(top.table("safety"), _safety),
        vital_signs=tuple(_build(t, _vital) for t in top.tables("vital_signs")),
        bleeding=_build(top.table("bleeding"), _bleeding),
        infusion=_build(top.table("infusion"), _infusion),
        premedications=tuple(_build(t, _premedication) for t in top.tables("premedications")),
        rescue_types=_build(top.table("medications"), _rescue_types),
    )
    top.done()
    return protocol


def load_protocol(path: str | Path | None = None) -> Protocol:
    """Read the protocol TOML at *path* (default: the packaged itp_daratumumab.toml)."""
    file = Path(path) if path is not None else DEFAULT_PATH
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{file}: not valid TOML: {exc}") from None
    try:
        return protocol_from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{file.name}: {exc}") from None


@functools.lru_cache(maxsize=1)
def get_protocol() -> Protocol:
    """The packaged protocol, loaded once per process."""
    return load_protocol()
