"""The Chinese catalogue is complete and keeps every placeholder."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_message_is_translated_with_its_placeholders():
    po = ROOT / "studyapp/translations/zh_Hans/LC_MESSAGES/messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    for message in catalog:
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)
            ), message.id


def test_catalogue_covers_every_string_in_the_code():
    from babel.messages.extract import extract_from_dir

    with (ROOT / "studyapp/translations/zh_Hans/LC_MESSAGES/messages.po").open("rb") as handle:
        known = {m.id for m in read_po(handle) if m.id}
    method_map = [("studyapp/**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "_l": None, "gettext": None}
        )
        if isinstance(message, str)
    }
    assert len(found) > 150  # the extraction really read the code and templates
    assert found - known == set()
