"""Questions a lower package asks a higher one, without importing it (no package cycle).

The features sit in layers: subjects, then visits, then safety, which imports both. Now and
then a lower one needs an answer only a higher one holds: the enrolment gate (subjects) needs
the run-in subjects' DLT events, the infusion plan (visits) the doses an infusion reaction
followed, the coordinator dashboard (subjects) the overdue SAEs. Importing safety there would
close a cycle, and reading safety's tables there would reach into its internals.

So the lower module declares the question as a ``Hook``, typed, beside the code that asks it,
and names the module that answers; that module (``studyapp.safety.queries``) imports the lower
one, as it may, and fills the hook with ``@hook.answer``. The first call imports the answering
module if nothing has yet (as ``crf.registry`` resolves a form's models by import path), so the
answer never depends on which blueprint happened to load first, and a hook nobody answers fails
loudly instead of answering "no DLTs".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Hook(Generic[P, R]):
    """One question, declared by the asker, answered by *provider* (a dotted module name)."""

    def __init__(self, name: str, provider: str) -> None:
        self.name = name
        self.provider = provider
        self._answer: Callable[P, R] | None = None

    def answer(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorator of the answering function (in the provider module)."""
        self._answer = fn
        return fn

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._answer is None:
            importlib.import_module(self.provider)
        if self._answer is None:
            raise RuntimeError(f"{self.provider} does not answer the hook {self.name}")
        return self._answer(*args, **kwargs)
