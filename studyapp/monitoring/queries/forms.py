"""The forms of queries: raise one, write a message on its thread, and the list's CSV."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import Length

from studyapp.web.fields import SelectField, TextAreaField
from studyapp.web.forms import OnceForm

TEXT_LIMIT = 4000


class MessageForm(FlaskForm):
    """A reply, a closing note or the reason to re-open (the service says when it is needed)."""

    text = TextAreaField(_l("Message"), validators=[Length(max=TEXT_LIMIT)])


class RaiseQueryForm(OnceForm, MessageForm):
    """A new query; sent twice (a double click, a resubmit) it makes one (REL-01)."""

    #: A field of the form ("": the whole form); the choices are the form's fields.
    field = SelectField(_l("Field"), validate_choice=False)
    text = TextAreaField(_l("Question"), validators=[Length(max=TEXT_LIMIT)])


class CsvForm(FlaskForm):
    """The list's filters, sent again to download the rows shown."""

    state = HiddenField()
    subject_id = HiddenField()
    visitnum = HiddenField()
    form = HiddenField()
