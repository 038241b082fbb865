"""What a browser would submit from a rendered form, for round-trip tests.

``form_data(html)`` parses a page with the standard library's HTML parser and returns the
(name, value) pairs of one of its forms exactly as a browser builds its form data set
(HTML "constructing the entry list"): text-like inputs and hidden inputs (``csrf_token``,
``version``) with their value, checked radios and checkboxes only (value "on" when they
have none), the selected options of each select (the first enabled option when none is
selected), textarea text (the newline right after ``<textarea>`` dropped), nothing that is
disabled, and buttons only when they are the submitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

_SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


@dataclass
class _Select:
    name: str
    multiple: bool
    options: list[tuple[str, bool, bool]] = field(default_factory=list)  # value, selected, off
    pending: dict[str, str | None] | None = None
    text: str = ""

    def close_option(self) -> None:
        if self.pending is None:
            return
        attrs = self.pending
        value = attrs["value"] if "value" in attrs else " ".join(self.text.split())
        self.options.append((value or "", "selected" in attrs, "disabled" in attrs))
        self.pending, self.text = None, ""

    def values(self) -> list[str]:
        chosen = [v for v, sel, off in self.options if sel and not off]
        if self.multiple:
            return chosen
        if chosen:
            return chosen[-1:]
        enabled = [v for v, _sel, off in self.options if not off]
        return enabled[:1]


@dataclass
class Form:
    """One ``<form>``: its attributes and its entries in document order."""

    attrs: dict[str, str | None]
    entries: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def action(self) -> str:
        return self.attrs.get("action") or ""

    def names(self) -> set[str]:
        return {name for name, _value in self.entries}


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: _Select | None = None
        self.textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.form = Form(a)
            self.forms.append(self.form)
        if self.form is None:
            return
        if tag == "input":
            self._input(a)
        elif tag == "button" and a.get("name") and "disabled" not in a:
            if (a.get("type") or "submit").lower() == "submit":
                self.form.buttons.append((a["name"] or "", a.get("value") or ""))
        elif tag == "select" and a.get("name") and "disabled" not in a:
            self.select = _Select(a["name"] or "", "multiple" in a)
        elif tag == "option" and self.select is not None:
            self.select.close_option()
            self.select.pending = a
        elif tag == "textarea" and a.get("name") and "disabled" not in a:
            self.textarea = (a["name"] or "", [])

    def _input(self, a: dict[str, str | None]) -> None:
        assert self.form is not None
        kind = (a.get("type") or "text").lower()
        name = a.get("name")
        if not name or "disabled" in a or kind in _SKIPPED_INPUTS:
            return
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                self.form.entries.append((name, a.get("value") or "on"))
            return
        self.form.entries.append((name, a.get("value") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "option" and self.select is not None:
            self.select.close_option()
        elif tag == "select" and self.select is not None and self.form is not None:
            self.select.close_option()
            self.form.entries.extend((self.select.name, v) for v in self.select.values())
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.form is not None:
            name, parts = self.textarea
            text = "".join(parts)
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            self.form.entries.append((name, text.replace("\r\n", "\n").replace("\n", "\r\n")))
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.textarea[1].append(data)
        elif self.select is not None and self.select.pending is not None:
            self.select.text += data


def forms(html: str) -> list[Form]:
    """Every form of the page, in document order."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def find_form(html: str, *, action: str | None = None, containing: str | None = None) -> Form:
    """The form whose action ends with *action* and/or that has a field named *containing*."""
    found = [
        f
        for f in forms(html)
        if (action is None or f.action.split("?")[0].endswith(action))
        and (containing is None or containing in f.names())
    ]
    assert len(found) == 1, f"expected one form ({action=}, {containing=}), found {len(found)}"
    return found[0]


def form_data(
    html: str,
    *,
    action: str | None = None,
    containing: str | None = None,
    submitter: tuple[str, str] | None = None,
    **replace: str,
) -> MultiDict[str, str]:
    """The form data set a browser posts from the form, pressing *submitter* (name, value).

    Keyword arguments replace (or add) single values, as a user typing in that field would.
    """
    form = find_form(html, action=action, containing=containing)
    data: MultiDict[str, str] = MultiDict(form.entries)
    if submitter is not None:
        assert submitter in form.buttons, f"no button {submitter} in {form.buttons}"
        data.add(*submitter)
    for name, value in replace.items():
        data.setlist(name, [value])
    return data
