"""Choice fields select the stored answer whatever its Python type; the browser-form helper."""

from __future__ import annotations

from enum import Enum

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice

from studyapp.web.fields import (
    MultiCheckboxField,
    RadioField,
    SelectField,
    TextAreaField,
    boolean_choice,
    optional_int,
    text_choice,
    yes_no,
)
from tests.formdata import form_data

YES_NO = [SelectChoice("no", "No"), SelectChoice("yes", "Yes")]


class Colour(Enum):
    RED = "R"


class Sample(Form):
    serious = RadioField("Serious", choices=YES_NO, coerce=yes_no, validate_choice=False)
    grade = RadioField(
        "Grade", choices=[SelectChoice(str(g), str(g)) for g in range(1, 6)], coerce=optional_int
    )
    colour = SelectField("Colour", choices=[SelectChoice("", "—"), SelectChoice("R", "red")])
    criteria = MultiCheckboxField("Criteria", choices=[SelectChoice(c, c) for c in "abc"])
    interrupted = SelectField(
        "Interrupted",
        choices=[SelectChoice("", "—"), SelectChoice("N", "No"), SelectChoice("Y", "Yes")],
        coerce=boolean_choice("Y", "N"),
    )
    text = TextAreaField("Text")


def selected(field) -> list[str]:
    return [c.value for c in field.iter_choices() if c.selected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("yes", True), (False, False), ("no", False), (None, None), ("", None)],
)
def test_yes_no_maps_stored_and_posted_answers_to_one_value(value, expected):
    assert yes_no(value) is expected


@pytest.mark.parametrize("value", ["maybe", "YES", "1"])
def test_yes_no_refuses_other_text(value):
    with pytest.raises(ValueError, match=value):
        yes_no(value)


def test_codes_and_numbers_have_one_canonical_value():
    assert [text_choice(v) for v in (None, "", Colour.RED, "R", 3)] == ["", "", "R", "R", "3"]
    assert [optional_int(v) for v in (None, "", "2", 2, "x", "²")] == [None, None, 2, 2, -1, -1]


@pytest.mark.parametrize("serious", [False, "no"])
def test_a_stored_no_is_selected_whether_set_as_bool_or_text(serious):
    form = Sample()
    form.serious.data = serious
    assert selected(form.serious) == ["no"]
    assert 'checked id="serious-0"' in form.serious()


def test_stored_values_of_every_type_select_their_option():
    stored = {"grade": 3, "colour": Colour.RED, "criteria": ["a", "c"], "interrupted": False}
    form = Sample(data=stored)
    assert (selected(form.grade), selected(form.colour)) == (["3"], ["R"])
    assert (selected(form.criteria), selected(form.interrupted)) == (["a", "c"], ["N"])


def test_nothing_stored_selects_the_blank_option_and_no_radio():
    form = Sample()
    assert (selected(form.colour), selected(form.interrupted), selected(form.serious)) == (
        [""],
        [""],
        [],
    )


def test_posted_text_is_coerced_and_a_tampered_yes_no_gets_a_message():
    form = Sample(MultiDict({"serious": "yes", "interrupted": "Y", "grade": "2"}))
    assert (form.serious.data, form.interrupted.data, form.grade.data) == (True, True, 2)
    tampered = Sample(MultiDict({"serious": "perhaps"}))
    assert not tampered.validate()
    assert tampered.serious.errors == ["Invalid Choice: could not coerce."]


def test_a_textarea_keeps_the_line_breaks_it_was_saved_with():
    form = Sample(MultiDict({"text": "line one\r\nline two\rthree"}))
    assert form.text.data == "line one\nline two\nthree"


PAGE = """
<form method="post" action="/other"><input name="other" value="x"></form>
<form method="post">
  <input type="hidden" name="csrf_token" value="tok">
  <input name="plain" value="a &amp; b"><input name="empty"><input name="off" value="1" disabled>
  <input type="radio" name="r" value="no"><input type="radio" name="r" value="yes" checked>
  <input type="checkbox" name="c" value="1"><input type="checkbox" name="d" checked>
  <select name="s"><option value="">—</option><option>two</option></select>
  <select name="t"><option value="1">1</option><option value="2" selected>2</option></select>
  <select name="m" multiple><option value="a" selected>a</option><option selected>b</option>
  </select>
  <textarea name="reason">
first
second</textarea>
  <button type="submit" name="action" value="save">Save</button>
  <button type="submit" name="action" value="draft">Draft</button>
</form>
"""


def test_form_data_is_what_a_browser_posts():
    data = form_data(PAGE, containing="plain", submitter=("action", "draft"), empty="typed")
    assert list(data.items(multi=True)) == [
        ("csrf_token", "tok"),
        ("plain", "a & b"),
        ("empty", "typed"),
        ("r", "yes"),
        ("d", "on"),
        ("s", ""),
        ("t", "2"),
        ("m", "a"),
        ("m", "b"),
        ("reason", "first\r\nsecond"),
        ("action", "draft"),
    ]
    assert list(form_data(PAGE, action="/other").items()) == [("other", "x")]
