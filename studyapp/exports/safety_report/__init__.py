"""The study safety report PDF (issue 13): registered as the export kind ``safety_report``.

Data gathering at the cut-off lives in this package (``build``, one module per part of the
report); the layout is ``studyapp.reports.safety_pdf``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from studyapp.exports import registry
from studyapp.permissions import Action

from .build import write

EXPORT = registry.register(
    registry.Export(
        kind="safety_report",
        label=_l("Study safety report"),
        group="report",
        action=Action.VIEW_REPORTS,
        suffix=".pdf",
        mimetype="application/pdf",
        write=write,
        description=_l(
            "PDF: enrolment and disposition, the run-in and its DLT review, exposure, adverse "
            "events by grade with listings, lab abnormalities, ITP response and each "
            "subject's platelet course, as of the data cut-off."
        ),
        cutoff=True,
    )
)
