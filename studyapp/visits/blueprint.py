"""The visits blueprint with every page loaded: importing this module registers all routes.

One blueprint ("visits", ``pages.bp``); each form's pages live beside its service and form
(``vitals/``, ``labs/``, ``bleeding/``, ``dosing/``, ``medications/``), the casebook, visit and
tracker pages in ``schedule/``.
"""

from __future__ import annotations

from studyapp.visits.assessments import views as assessment_views  # noqa: F401 - routes join bp
from studyapp.visits.bleeding import views as bleeding_views  # noqa: F401
from studyapp.visits.dosing import views as dosing_views  # noqa: F401
from studyapp.visits.labs import views as labs_views  # noqa: F401
from studyapp.visits.medications import views as medications_views  # noqa: F401
from studyapp.visits.pages import bp
from studyapp.visits.schedule import views as schedule_views  # noqa: F401
from studyapp.visits.vitals import views as vitals_views  # noqa: F401

__all__ = ["bp"]
