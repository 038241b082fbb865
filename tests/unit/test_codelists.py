"""Each stored codelist is written once (studyapp.codelists): models, the label table and the
services read it there, and no module spells one of its codes again."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask_babel.speaklater import LazyString

from studyapp import codelists
from studyapp.protocol.loader import get_protocol
from studyapp.safety import models as safety_models
from studyapp.subjects import history, labels
from studyapp.subjects import models as subject_models
from studyapp.visits import models as visit_models

PACKAGE = Path(__file__).resolve().parents[2] / "studyapp"

#: Modules that may write a codelist code, and why.
ALLOWED = {
    "codelists.py": "the one place the codes are written",
    "clinical/": "pure rules: no app imports, so CDISC/ICH names are their own arguments",
    "demo/loader.py": "demo data written as data",
    "demo/safety.py": "demo data written as data",
    "demo/visits.py": "demo data written as data",
}
#: Codes too short or too common to tell apart from other strings ("R", "LOW", "ae", ...).
MIN_LENGTH = 5
#: Stored codes that are also ordinary keys elsewhere: "OTHER" is a protocol rescue type too
#: (its label is in labels.RESCUE), "confirmed" the name of the confirm-warnings form field.
SHARED_WORDS = frozenset({"OTHER", "confirmed"})


def test_models_store_the_codelists() -> None:
    assert codelists.ACN.codes == safety_models.ACTIONS
    assert codelists.AE_OUTCOME.codes == safety_models.OUTCOMES
    assert codelists.SERIOUSNESS.codes == safety_models.CRITERIA
    assert codelists.DISPOSITION.codes == subject_models.DISPOSITIONS
    assert codelists.THERAPY.codes == history.THERAPY_CATEGORIES
    assert codelists.STOP_REASON.codes == history.STOP_REASONS
    assert codelists.PRIOR_RESPONSE.codes == history.RESPONSES
    assert codelists.ROUTE.codes == visit_models.ROUTES
    assert codelists.CM_CATEGORY.codes == (visit_models.CONCOMITANT, visit_models.RESCUE)
    for column in codelists.SERIOUSNESS:
        assert hasattr(safety_models.AdverseEvent, column)


@pytest.mark.parametrize("name", sorted(codelists.ALL))
def test_the_label_table_reads_each_codelist(name: str) -> None:
    codelist = codelists.ALL[name]
    assert labels.ALL[name] == codelist.labels
    assert labels.codes(name) == codelist.codes
    assert all(isinstance(text, LazyString) for text in codelist.labels.values())


def test_outcome_subsets_split_the_outcomes() -> None:
    ongoing, ended = set(codelists.ONGOING_OUTCOMES), set(codelists.ENDED_OUTCOMES)
    assert not ongoing & ended
    assert ongoing | ended == set(codelists.AE_OUTCOME.codes)


def test_codes_the_protocol_chooses_have_labels() -> None:
    protocol = get_protocol()
    assert set(protocol.safety.relatedness) <= set(labels.RELATEDNESS)
    assert set(protocol.rescue_types) <= set(labels.RESCUE)


def test_a_codelist_refuses_a_duplicate_code() -> None:
    with pytest.raises(ValueError, match=r"codelist x: duplicate code"):
        codelists.Codelist("x", (("A", labels.ACN["UNKNOWN"]), ("A", labels.ACN["UNKNOWN"])))


def _allowed(module: str) -> bool:
    return any(module == p or (p.endswith("/") and module.startswith(p)) for p in ALLOWED)


def spelled_codes(module: str, source: str) -> list[str]:
    """``module:line: 'CODE' (codelist)`` for each codelist code *source* writes out."""
    if _allowed(module):
        return []
    codes = {
        code: c.name
        for c in codelists.ALL.values()
        for code in c.codes
        if len(code) >= MIN_LENGTH and code not in SHARED_WORDS
    }
    return [
        f"{module}:{node.lineno}: {node.value!r} ({codes[node.value]})"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in codes
    ]


def test_no_codelist_code_is_written_twice() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        found += spelled_codes(module, path.read_text(encoding="utf-8"))
    assert not found, "use the constants of studyapp.codelists:\n" + "\n".join(found)


def test_the_codelist_guard_is_not_vacuous() -> None:
    source = 'OUT = "RECOVERED/RESOLVED"\nACN = ("DOSE NOT CHANGED",)\n'
    assert spelled_codes("safety/events.py", source) == [
        "safety/events.py:1: 'RECOVERED/RESOLVED' (ae_outcome)",
        "safety/events.py:2: 'DOSE NOT CHANGED' (acn)",
    ]
    assert spelled_codes("codelists.py", source) == []


def test_templates_do_not_list_seriousness_criteria() -> None:
    root = PACKAGE.parent / "templates"
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "'aesdth'" not in text, f"{path}: use codes('seriousness')"
