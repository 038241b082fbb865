"""The pages of queries: raise one, its thread, the lists per role with CSV and metrics."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from studyapp.audit.context import Event, log_event
from studyapp.crf import registry
from studyapp.errors import NotFound
from studyapp.exports.csvfile import CsvWriter
from studyapp.monitoring.blueprint import bp
from studyapp.monitoring.queries import listing, services
from studyapp.monitoring.queries import models as m
from studyapp.monitoring.queries.forms import CsvForm, MessageForm, RaiseQueryForm
from studyapp.monitoring.queries.thread import field_labels, page_queries
from studyapp.permissions import Action, require
from studyapp.subjects.guards import get_subject
from studyapp.web import submissions
from studyapp.web.form_page import submit

bp.add_app_template_global(page_queries)

#: The largest id a URL or filter may name (a 32-bit integer column).
MAX_ID = 2**31 - 1
QUERY = "/queries/<int(max=2147483647):query_id>"
STEPS = {"reply": services.reply, "close": services.close, "reopen": services.reopen}


def back_url(query: m.DataQuery) -> str:
    """The page the query is about: its form, else its own page."""
    if query.form is not None:
        page = registry.page_of(query.form)
        return registry.url(page, query.subject_id, query.visitnum or "")
    return url_for("monitoring.query", query_id=query.id)


def _id(text: str | None) -> int | None:
    """An id typed in a URL or filter; NotFound for anything but one that can exist."""
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ID:
        raise NotFound(_("No such subject."))
    return int(text)


def _filters(source: Any) -> listing.Filters:
    state = source.get("state") or None
    if state is not None and state not in (*m.STATES, listing.ANY):
        raise NotFound(_("No such state."))
    return listing.Filters(
        state,
        _id(source.get("subject_id")),
        source.get("visitnum") or None,
        source.get("form") or None,
    )


@bp.get("/queries")
@login_required
def queries() -> Any:
    filters = _filters(request.args)
    state, found = listing.rows(current_user, filters)
    _all, overall = listing.rows(current_user, listing.Filters(listing.ANY, *_rest(filters)))
    per_subject, per_visit = listing.metrics(overall)
    return render_template(
        "monitoring/queries.html",
        rows=found,
        state=state,
        filters=filters,
        states=m.STATES,
        forms=sorted(k for k, f in registry.FORMS.items() if f.endpoint),
        per_subject=per_subject,
        per_visit=per_visit,
        csv_form=CsvForm(formdata=None),
    )


def _rest(filters: listing.Filters) -> tuple[Any, ...]:
    return filters.subject_id, filters.visitnum, filters.form


@bp.post("/queries/csv")
@login_required
def queries_csv() -> Any:
    """The rows of the list as CSV (formula injection neutralised, SEC-11), audited."""
    require(current_user, Action.VIEW_STUDY_DATA)
    form = CsvForm()
    if not form.validate():
        abort(400)
    state, found = listing.rows(current_user, _filters(request.form))
    out = io.BytesIO()
    writer = CsvWriter(out)
    writer.header(listing.CSV_HEADER)
    for values in listing.csv_rows(found):
        writer.row(values)
    writer.close()
    body = out.getvalue()
    details = {"filter": {**request.form.to_dict(), "state": state}, "rows": writer.rows}
    details["sha256"] = hashlib.sha256(body).hexdigest()
    details["filter"].pop("csrf_token", None)
    log_event(
        Event(
            action="export",
            table_name="export",
            row_id="queries",
            field="file",
            new_value=json.dumps(details, sort_keys=True),
        )
    )
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="queries.csv"'
    return response


@bp.route("/queries/new", methods=["GET", "POST"])
@login_required
def raise_query() -> Any:
    require(current_user, Action.RAISE_QUERY)
    where = request.args
    subject = get_subject(current_user, _id(where.get("subject_id")) or 0)
    code, visitnum = where.get("form") or None, where.get("visitnum") or None
    if code is not None and code not in registry.FORMS:
        raise NotFound(_("No such form."))
    form = RaiseQueryForm()
    labels = field_labels(code) if code else {}
    form.field.choices = [("", _("The whole form") if code else _("The subject")), *labels.items()]
    if request.method == "GET":
        form.field.data = where.get("field", "")
    create = submissions.once(
        form,
        m.DataQuery,
        back_url,
        lambda: services.raise_query(
            current_user,
            subject.id,
            form.text.data,
            visitnum=visitnum,
            form=code,
            field=form.field.data or None,
        ),
    )
    outcome = submit(
        form,
        create,
        back_url,
        saved_message=_("Query raised."),
    )
    if outcome.redirect:
        return outcome.redirect
    page = render_template(
        "monitoring/raise_query.html", form=form, subject=subject, code=code, visitnum=visitnum
    )
    return page, outcome.status


@bp.route(QUERY, methods=["GET"])
@bp.route(QUERY + "/<any(reply,close,reopen):step>", methods=["POST"])
@login_required
def query(query_id: int, step: str | None = None) -> Any:
    """A query's thread with the controls of the reader's role; a step posts here."""
    found = services.get_query(current_user, query_id)
    form = MessageForm()
    outcome = submit(
        form,
        lambda: STEPS[step](current_user, query_id, form.text.data),  # type: ignore[index]
        back_url,
        saved_message=_("Query updated."),
    )
    if outcome.redirect:
        return outcome.redirect
    found = services.get_query(current_user, query_id)
    thread = page_queries(found.subject_id, found.visitnum, found.form, only=found.id)
    page = render_template(
        "monitoring/query.html",
        query=found,
        pq=thread,
        form=form,
        step=step,
        back=back_url(found),
    )
    return page, outcome.status
