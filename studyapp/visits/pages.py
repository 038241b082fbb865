"""The visits blueprint and the helpers its form pages share (``form_page.submit`` saves)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from studyapp.crf import registry
from studyapp.crf.forms import completing
from studyapp.crf.status import Where, closure_at
from studyapp.formatting import plain_number
from studyapp.protocol.loader import get_protocol
from studyapp.subjects.urls import SUBJECT
from studyapp.web.form_page import Outcome

bp = Blueprint("visits", __name__)


@bp.app_template_filter("num")
def num(value: Any) -> str:
    """A stored number without trailing zeros: Decimal("58.30") -> "58.3"; None -> ""."""
    return "" if value is None else plain_number(value)


@bp.app_context_processor
def _visit_helpers() -> dict[str, Any]:
    protocol = get_protocol()
    dosing = protocol.dosing

    def arm_text() -> str:
        return _(
            "%(drug)s %(mg)s mg/kg %(route)s every %(i)d days × %(n)d",
            drug=dosing.drug,
            mg=num(dosing.mg_per_kg),
            route=dosing.route,
            i=dosing.interval_days,
            n=dosing.number_of_doses,
        )

    return {
        "page_url": registry.url,
        "arm_text": arm_text,
        "dose_count": dosing.number_of_doses,
        "rescue_days": protocol.response.rescue_exclusion_days,
    }


VISIT = SUBJECT + "/visits/<string(maxlength=10):visitnum>"


def save_options(form: Any) -> dict[str, Any]:
    """What every visit form passes to its service from the fields all forms share."""
    return {
        "visit_date": form.visit_date.data,
        "version": form.version.data,
        "reason": form.reason.data,
        "completing": completing(),
        "confirmed": form.confirm.data,
    }


def render_crf(
    template: str, ctx: Any, record: Any, form: Any, outcome: Outcome, **extra: Any
) -> Any:
    """A visit form page: the subject, visit line, stored row and form, with its status code.

    ``closure``: the freeze or lock covering the form (its page reads it and shows no inputs).
    """
    key = (request.view_args or {}).get("form") or _page_key(request.endpoint)
    closure = closure_at(Where(ctx.subject.id, ctx.row.visitnum, key))
    page = render_template(
        template,
        subject=ctx.subject,
        row=ctx.row,
        visit=ctx.visit,
        record=record,
        form=form,
        stale=outcome.stale,
        closure=closure,
        **extra,
    )
    return page, outcome.status


def _page_key(endpoint: str | None) -> str | None:
    """The page key of a form page's endpoint (one page per endpoint but the lab panels)."""
    for entry in registry.FORMS.values():
        if entry.page.endpoint == endpoint:
            return entry.page.key
    return None


def next_url(subject_id: int, visitnum: str, forms: tuple[str, ...], current: str) -> str:
    """Where "save and next form" goes: the visit's next form, else back to the visit."""
    if request.form.get("action") == "next":
        following = registry.next_entry(forms, current)
        if following is not None:
            return registry.url(following, subject_id, visitnum)
    return url_for("visits.visit", subject_id=subject_id, visitnum=visitnum)
