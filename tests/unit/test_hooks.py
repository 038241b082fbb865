"""A hook asks its provider module, imported on the first call, and fails loudly unanswered."""

from __future__ import annotations

import sys
import types

import pytest

from studyapp.hooks import Hook


def test_an_answered_hook_calls_the_answer() -> None:
    hook: Hook[[int], int] = Hook("test.double", "unused.module")
    hook.answer(lambda n: 2 * n)
    assert hook(21) == 42


LAZY: Hook[[], str] = Hook("test.lazy", "tests_fake_provider")


def test_the_first_call_imports_the_provider_which_answers(tmp_path, monkeypatch) -> None:
    (tmp_path / "tests_fake_provider.py").write_text(
        "from tests.unit.test_hooks import LAZY\nLAZY.answer(lambda: 'answered')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "tests_fake_provider", raising=False)
    assert LAZY._answer is None
    assert LAZY() == "answered"


def test_a_provider_that_does_not_answer_fails_loudly(monkeypatch) -> None:
    hook: Hook[[], bool] = Hook("test.silent", "tests_silent_provider")
    monkeypatch.setitem(sys.modules, "tests_silent_provider", types.ModuleType("x"))
    with pytest.raises(RuntimeError, match=r"does not answer the hook test\.silent"):
        hook()


def test_safety_answers_the_hooks_of_subjects_and_visits() -> None:
    from studyapp.subjects import queries, runin
    from studyapp.visits.dosing import plan as dose_plan

    for hook in (runin.dlt_events, dose_plan.irr_doses, queries.overdue_saes):
        assert hook.provider == "studyapp.safety.queries"
    import studyapp.safety.queries as answers

    assert runin.dlt_events._answer is answers.dlt_events
    assert dose_plan.irr_doses._answer is answers.irr_doses
    assert queries.overdue_saes._answer is answers.overdue_saes
