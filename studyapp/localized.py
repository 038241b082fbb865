"""The protocol's labels in the reader's language: the one helper pages, PDFs and exports use.

The protocol file carries each label in English and Simplified Chinese (``name`` and
``name_zh``, ``text`` and ``text_zh``, ``[units_zh]``); ``local`` picks the one of the current
locale (Flask-Babel's ``get_locale``; English outside a request) by the protocol's rule
``studyapp.protocol.labels.pick``. Templates call it as ``local(visit)``, ``local(c, 'text')``
and ``local_unit(unit)``.
"""

from __future__ import annotations

from flask_babel import LazyString, get_locale
from markupsafe import Markup, escape

from studyapp.protocol.labels import pick
from studyapp.protocol.loader import get_protocol


class LazyLabel(LazyString):  # type: ignore[misc]
    """A label computed when shown; escaped in HTML like any text (flask-babel's is not)."""

    def __html__(self) -> Markup:
        return escape(str(self))


def language() -> str:
    """The current locale as text (``zh_Hans``, ``en``); ``en`` outside a request."""
    locale = get_locale()
    return str(locale) if locale is not None else "en"


def local(entry: object, key: str = "name") -> str:
    """*entry*'s label *key* (``name``, ``text``) in the current language: its ``<key>_zh``
    twin for a Chinese reader when the protocol gives one, the English label otherwise."""
    english = getattr(entry, key)
    return pick(str(english or ""), str(getattr(entry, f"{key}_zh", "") or ""), language())


def lazy_local(entry: object, key: str = "name") -> LazyLabel:
    """``local`` evaluated when shown: for labels of form classes built once per process."""
    return LazyLabel(local, entry, key)


def local_unit(unit: str | None) -> str:
    """A unit code (CDISC UNIT) as the reader writes it: its ``[units_zh]`` display in Chinese."""
    if not unit:
        return ""
    return pick(unit, get_protocol().unit_zh(unit), language())


def lazy_unit(unit: str) -> LazyLabel:
    """``local_unit`` evaluated when shown (choices of form classes built once)."""
    return LazyLabel(local_unit, unit)


def local_threshold(result: object) -> str:
    """An eligibility result's threshold (">= 18 years") with its unit in the reader's
    language (">= 18 岁")."""
    threshold, unit = str(getattr(result, "threshold", "")), str(getattr(result, "unit", ""))
    if not unit:
        return threshold
    head, found, tail = threshold.rpartition(f" {unit}")
    return f"{head} {local_unit(unit)}{tail}" if found else threshold


def lab_name(testcd: str) -> str:
    """The protocol's name of lab test *testcd* in the current language (unknown: the code)."""
    try:
        return local(get_protocol().lab(testcd))
    except ValueError:
        return testcd


def who_grade(grade: int) -> str:
    """The protocol's wording of WHO bleeding grade *grade* (0-4) in the current language."""
    scale = get_protocol().bleeding
    chinese = scale.who_grades_zh[grade] if scale.who_grades_zh else ""
    return pick(scale.who_grades[grade], chinese, language())


def lazy_who_grade(grade: int) -> LazyLabel:
    """``who_grade`` evaluated when shown, after the grade's number: "2: ..."."""
    return LazyLabel(lambda: f"{grade}: {who_grade(grade)}")
