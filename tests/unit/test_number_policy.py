"""The one parsing policy for typed numbers (studyapp.web.forms): ASCII digits, bounded length,
finite; anything else a ValueError with the message for the field, never another error."""

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studyapp.web.forms import NUMBER, TOO_LARGE, TOO_PRECISE, WHOLE, parse_decimal, parse_whole


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("72", 72),
        (" 72 ", 72),
        ("-5", -5),
        ("+5", 5),
        ("000000000072", 72),
        ("999999999", 10**9 - 1),
    ],
)
def test_whole_numbers_in_ascii_digits(text, value):
    assert parse_whole(text) == value


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9" * 400, TOO_LARGE),
        ("1000000000", TOO_LARGE),
        ("²", WHOLE),
        ("１２", WHOLE),
        ("٣", WHOLE),
        ("1_000", WHOLE),
        ("0x1F", WHOLE),
        ("7.5", WHOLE),
        ("", WHOLE),
        ("-", WHOLE),
    ],
)
def test_other_whole_numbers_get_a_message(text, message):
    with pytest.raises(ValueError, match=f"^{re.escape(str(message))}$"):
        parse_whole(text)


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    ("text", "value"),
    [("58.3", "58.3"), ("-0.5", "-0.5"), (".5", "0.5"), ("5.", "5"), ("1.000001", "1.000001")],
)
def test_decimals_in_ascii_digits(text, value):
    assert parse_decimal(text) == Decimal(value)


@pytest.mark.req("REL-07")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sNaN", NUMBER),
        ("NaN", NUMBER),
        ("Infinity", NUMBER),
        ("-inf", NUMBER),
        ("1e999999", NUMBER),
        ("1E5", NUMBER),
        ("１２.５", NUMBER),
        (".", NUMBER),
        ("1,5", NUMBER),
        ("9" * 13, TOO_LARGE),
        ("0.0000001", TOO_PRECISE),
    ],
)
def test_other_decimals_get_a_message(text, message):
    with pytest.raises(ValueError, match=f"^{re.escape(str(message))}$"):
        parse_decimal(text)


@pytest.mark.req("REL-07")
@given(st.text(max_size=40) | st.from_regex(r"\A[+-]?[0-9]{0,20}(\.[0-9]{0,9})?\Z"))
def test_any_text_is_a_bounded_finite_number_or_a_message(text):
    for parse, bound in ((parse_whole, 10**9), (parse_decimal, 10**12)):
        value, message = _outcome(parse, text)
        if value is None:
            assert message in (NUMBER, WHOLE, TOO_LARGE, TOO_PRECISE)
        else:
            assert abs(value) < bound
            assert not isinstance(value, Decimal) or value.is_finite()


def _outcome(parse, text):
    try:
        return parse(text), None
    except ValueError as refused:
        return None, refused.args[0]
