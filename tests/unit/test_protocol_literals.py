"""Protocol values live in the protocol file: no module spells one out again.

Walks every module of ``studyapp/`` with ``ast`` and fails on a string constant equal to a code
the protocol defines (lab test, visit, form, vital sign, premedication, bleeding item,
eligibility criterion) or to the study drug's name, unless the module is allowed to name that
value below, with the reason. A service that writes ``"PLAT"`` again fails here; it should
read ``get_protocol().response.platelet_test`` (or the matching role) instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

from studyapp.protocol.loader import get_protocol

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "studyapp"
EVERYTHING = frozenset({"*"})

#: Module (path under studyapp/) -> (the protocol values it may name, why).
ALLOWED: dict[str, tuple[frozenset[str], str]] = {
    "protocol/": (EVERYTHING, "the protocol file's own package reads and checks it"),
    "demo/loader.py": (EVERYTHING, "demo data: a fictitious study history written as data"),
    "demo/safety.py": (EVERYTHING, "demo data: the fictitious safety story as data"),
    "demo/visits.py": (EVERYTHING, "demo data: fictitious platelet courses per visit code"),
    "demo/monitoring.py": (EVERYTHING, "demo data: the fictitious monitoring visits as data"),
    "clinical/ctcae_tables.py": (
        EVERYTHING,
        "CTCAE v5.0 grading criteria: an external standard keyed by CDISC LBTESTCD",
    ),
    "clinical/units.py": (
        EVERYTHING,
        "unit conversion factors: chemistry keyed by CDISC LBTESTCD, not a study choice",
    ),
    "subjects/checklist.py": (
        frozenset({"ALT", "AST", "BILI", "CREAT"}),
        "binds each screening lab of the eligibility criteria to its Subject column",
    ),
    "visits/dosing/checks.py": (
        frozenset({"METHYLPRED", "PARACETAMOL", "ANTIHISTAMINE"}),
        "binds each protocol premedication to its DoseAdministration column",
    ),
    "visits/vitals/service.py": (
        frozenset({"VS", "WEIGHT", "HEIGHT"}),
        "binds each vital sign form code to the measures it asks for",
    ),
    "visits/vitals/measures.py": (
        frozenset({"WEIGHT", "HEIGHT", "SYSBP", "DIABP", "PULSE", "TEMP"}),
        "binds each vital sign code to its VitalSigns column",
    ),
    "exports/sdtm/": (
        frozenset({"DM", "DS", "IE", "MH", "CM", "AE", "EC", "VS", "PE"}),
        "SDTM domain codes (CDISC names), which some protocol form codes share",
    ),
    "crf/registry.py": (
        EVERYTHING,
        "the form registry: one entry per form code (page, label, model)",
    ),
    "visits/summary.py": (
        frozenset({"CM"}),
        "the medication form's status is the subject's, not a visit's",
    ),
    "visits/labs/readings.py": (
        frozenset({"CBC", "CHEM", "IG"}),
        "binds each lab form code to the protocol's lab category",
    ),
    "visits/vitals/views.py": (frozenset({"VS"}), "the vital-signs page names its own form code"),
    "visits/bleeding/views.py": (frozenset({"BLEED"}), "the bleeding page names its form code"),
    "visits/dosing/views.py": (
        frozenset({"EC", "WEIGHT"}),
        "the dosing page names its form code and links to the weight form",
    ),
    "visits/medications/views.py": (frozenset({"CM"}), "the medication page names its form"),
    "visits/labs/views.py": (frozenset({"AE"}), "the lab page links to the AE form"),
    "visits/assessments/spec.py": (
        frozenset({"ECOG"}),
        "the physical examination asks ECOG at visits whose forms do not list ECOG",
    ),
}


def protocol_values() -> dict[str, str]:
    """Every code the protocol defines -> what it is (for the failure message)."""
    p = get_protocol()
    values: dict[str, str] = {p.dosing.drug: "study drug"}
    values.update({c.code: "eligibility criterion" for c in p.eligibility})
    values.update({i.code: "bleeding item" for i in p.bleeding.items})
    values.update({m.code: "premedication" for m in p.premedications})
    values.update({v.code: "vital sign" for v in p.vital_signs})
    values.update({f: "form code" for v in p.visits for f in v.forms})
    values.update({v.code: "visit code" for v in p.visits})
    values.update({t.testcd: "lab test code" for t in p.labs})
    return values


def allowed_in(module: str) -> frozenset[str]:
    for prefix, (values, _reason) in ALLOWED.items():
        if module == prefix or (prefix.endswith("/") and module.startswith(prefix)):
            return values
    return frozenset()


def offences(module: str, source: str, values: dict[str, str]) -> list[str]:
    """``module:line: 'VALUE' (what it is)`` for each protocol value *source* spells out."""
    allowed = allowed_in(module)
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if node.value in values and "*" not in allowed and node.value not in allowed:
            found.append(f"{module}:{node.lineno}: {node.value!r} ({values[node.value]})")
    return found


def test_no_protocol_value_is_written_in_code() -> None:
    values = protocol_values()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        found += offences(module, path.read_text(encoding="utf-8"), values)
    assert not found, (
        "protocol values written in code; read them from get_protocol() (add a role to the "
        "protocol file if none fits), or allow the module in ALLOWED with the reason:\n"
        + "\n".join(found)
    )


def test_the_guard_catches_a_service_that_spells_a_code() -> None:
    """The guard is not vacuous: PLAT in a service, a visit code in a view, are caught."""
    values = protocol_values()
    source = 'LIMIT = 14\nTEST = "PLAT"\n\ndef f(v):\n    return v.code == "D8"\n'
    assert offences("visits/labs/service.py", source, values) == [
        "visits/labs/service.py:2: 'PLAT' (lab test code)",
        "visits/labs/service.py:5: 'D8' (visit code)",
    ]
    assert offences("visits/summary.py", 'X = "PLAT"\n', values) == [
        "visits/summary.py:1: 'PLAT' (lab test code)"
    ]
    assert offences("protocol/loader.py", 'X = "PLAT"\n', values) == []


def test_every_allowed_module_exists_and_needs_its_entry() -> None:
    """An allow-list entry that no longer matches a module, or a value, is removed."""
    values = protocol_values()
    for prefix, (allowed, reason) in ALLOWED.items():
        assert reason, prefix
        target = PACKAGE / prefix
        assert target.exists(), f"ALLOWED names {prefix}, which no longer exists"
        if prefix.endswith("/") or "*" in allowed:
            continue
        source = target.read_text(encoding="utf-8")
        named = {
            n.value
            for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in values
        }
        assert allowed <= named, f"{prefix} no longer names {sorted(allowed - named)}"
