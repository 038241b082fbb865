"""The shape of studyapp's imports, read with ``ast`` (tests/architecture.py), checked by rule.

1. No cycle between the packages of studyapp (``studyapp.x`` for every package or top-level
   module ``x``): a lower package that needs an answer from a higher one declares a hook
   (``studyapp.hooks``) instead of importing it.
2. ``clinical/`` imports nothing of the app but the pure protocol data; the allowlist is
   ``ALLOWED_PROJECT`` of tests/unit/test_clinical_purity.py, which also checks the rest of its
   purity (no framework, no I/O) module by module. Here the rule covers every import of the
   package, nested ones too, through the same import walk as the other rules.
3. No feature imports another feature's views. A feature is one of ``FEATURES``; a view module
   is a module of a feature, at any depth, named ``views``, ``pages`` or ``*_views`` (they
   define routes or the helpers of one blueprint's pages). A module of feature A may import the
   views of A, never those of feature B; what two features share of the web (an address, a
   signing step) lives in a module that is not a view (``subjects.urls``,
   ``signatures.signing``). The app factory, the CLI and the demo builders are no feature.
4. Each rule is also run on a made-up graph that breaks it, so a blind detector fails.
"""

from __future__ import annotations

import re

from tests.architecture import Import, cycles, imports, package_graph, unit
from tests.unit.test_clinical_purity import ALLOWED_PROJECT

FEATURES = (
    "audit",
    "auth",
    "exports",
    "main",
    "reports",
    "safety",
    "signatures",
    "subjects",
    "visits",
)
VIEW_MODULE = re.compile(r"^(views|pages|\w+_views)$")


def clinical_leaks(found: list[Import]) -> list[Import]:
    """Imports of clinical/ reaching app code beyond the pure protocol data."""
    return [
        i
        for i in found
        if unit(i.module) == "studyapp.clinical"
        and unit(i.target) != "studyapp.clinical"
        and not i.target.startswith(ALLOWED_PROJECT)
    ]


def feature_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def is_view(dotted: str) -> bool:
    """Whether *dotted* (a module, or a name in one) lies in a view module of a feature."""
    return feature_of(dotted) is not None and any(
        VIEW_MODULE.match(part) for part in dotted.split(".")[2:]
    )


def foreign_views(found: list[Import]) -> list[Import]:
    """Imports by a feature's module of another feature's view module."""
    return [
        i
        for i in found
        if feature_of(i.module) is not None
        and is_view(i.target)
        and feature_of(i.target) != feature_of(i.module)
    ]


def test_no_cycle_between_packages() -> None:
    assert cycles(package_graph(imports())) == []


def test_clinical_imports_only_the_protocol_data() -> None:
    assert clinical_leaks(imports()) == []


def test_no_feature_imports_another_features_views() -> None:
    assert foreign_views(imports()) == []


def test_the_walk_sees_the_packages_and_their_imports() -> None:
    graph = package_graph(imports())
    assert {"studyapp.safety", "studyapp.subjects", "studyapp.visits"} <= graph.keys()
    assert "studyapp.subjects" in graph["studyapp.safety"]


def _imp(module: str, target: str) -> Import:
    return Import(module, target, 1, True)


def test_a_made_up_cycle_is_found() -> None:
    found = [
        _imp("studyapp.a.x", "studyapp.b.y"),
        _imp("studyapp.b.y", "studyapp.c.z"),
        _imp("studyapp.c.z", "studyapp.a.x"),
        _imp("studyapp.d", "studyapp.a.x"),
    ]
    assert cycles(package_graph(found)) == [["studyapp.a", "studyapp.b", "studyapp.c"]]


def test_a_made_up_clinical_import_of_the_app_is_found() -> None:
    found = [
        _imp("studyapp.clinical.dosing", "studyapp.protocol.model.DosingRule"),
        _imp("studyapp.clinical.dosing", "studyapp.clinical.units.convert"),
        _imp("studyapp.clinical.dosing", "studyapp.protocol.loader.get_protocol"),
        _imp("studyapp.clinical.inner.deep", "studyapp.extensions.db"),
    ]
    assert [i.target for i in clinical_leaks(found)] == [
        "studyapp.protocol.loader.get_protocol",
        "studyapp.extensions.db",
    ]


def test_made_up_imports_of_another_features_views_are_found() -> None:
    found = [
        _imp("studyapp.safety.ae_views", "studyapp.visits.pages.SUBJECT"),
        _imp("studyapp.safety.queries", "studyapp.subjects.views.bp"),
        _imp("studyapp.visits.forms.dose", "studyapp.safety.sae_views"),
        _imp("studyapp.subjects.queries", "studyapp.visits.dosing.pages.render"),
        # allowed: a feature's own views, another feature's non-view modules, the app factory
        _imp("studyapp.subjects.views", "studyapp.subjects.pages.bp"),
        _imp("studyapp.safety.ae_views", "studyapp.subjects.urls.SUBJECT"),
        _imp("studyapp", "studyapp.safety.views.bp"),
        _imp("studyapp.cli.demo", "studyapp.visits.views"),
    ]
    assert [(i.module, i.target) for i in foreign_views(found)] == [
        ("studyapp.safety.ae_views", "studyapp.visits.pages.SUBJECT"),
        ("studyapp.safety.queries", "studyapp.subjects.views.bp"),
        ("studyapp.visits.forms.dose", "studyapp.safety.sae_views"),
        ("studyapp.subjects.queries", "studyapp.visits.dosing.pages.render"),
    ]
