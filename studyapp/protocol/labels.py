"""The protocol's Chinese labels: the rule that picks a label by language, and what is missing.

Convention of the protocol file (written at its top): every label key ``K`` (``name`` of a
visit, lab test, vital sign, bleeding item, premedication or the site, ``text`` of an
eligibility criterion, the ``who_grades`` list) has ``K_zh`` beside it with the same entity's
Simplified Chinese text; units are CDISC UNIT codes, written once in ``[units_zh]`` with
their Chinese display. The loader keeps a missing ``K_zh`` as "" (the English label shows);
``missing_chinese`` lists them, and a unit test requires that list to be empty.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from studyapp.protocol.model import Protocol

#: Keys whose value is a label people read; each has a ``<key>_zh`` twin.
LABEL_KEYS = ("name", "text", "who_grades")
#: Keys whose value is a unit code (or a list of them); each needs a ``[units_zh]`` entry.
UNIT_KEYS = ("unit", "si_unit", "accepted_units")


def pick(english: str, chinese: str, language: str) -> str:
    """The label for *language* (a locale such as ``zh_Hans``): the Chinese text for a
    Chinese locale when there is one, the English text otherwise."""
    return chinese if chinese and language.lower().startswith("zh") else english


def _walk(obj: Any, path: str) -> list[tuple[str, Any]]:
    """(key path, dataclass) of *obj* and of every dataclass inside it, in order."""
    out: list[tuple[str, Any]] = []
    if is_dataclass(obj) and not isinstance(obj, type):
        out.append((path, obj))
        for f in fields(obj):
            out.extend(_walk(getattr(obj, f.name), f"{path}.{f.name}".lstrip(".")))
    elif isinstance(obj, tuple):
        for i, item in enumerate(obj):
            out.extend(_walk(item, f"{path}[{i}]"))
    return out


def _missing_labels(path: str, entry: Any) -> list[str]:
    names = {f.name for f in fields(entry)}
    out: list[str] = []
    for key in (k for k in LABEL_KEYS if k in names):
        english, twin = getattr(entry, key), f"{key}_zh"
        if twin not in names:
            out.append(f"{path}.{key}: the model has no {twin}")
            continue
        chinese = getattr(entry, twin)
        if isinstance(english, tuple):
            if len(chinese) != len(english) or not all(chinese):
                out.append(f"{path}.{twin}: need one Chinese text per entry of {key}")
        elif english and not chinese:
            out.append(f"{path}.{twin}: missing (English: {english!r})")
    return out


def units_used(protocol: Protocol) -> list[str]:
    """Every unit code the protocol writes (lab, vital sign, dose, criterion), first use order."""
    found: dict[str, None] = {}
    for _path, entry in _walk(protocol, ""):
        names = {f.name for f in fields(entry)}
        for key in (k for k in UNIT_KEYS if k in names):
            value = getattr(entry, key)
            for unit in value if isinstance(value, tuple) else (value,):
                if unit:
                    found.setdefault(unit)
    return list(found)


def missing_chinese(protocol: Protocol) -> list[str]:
    """Key paths of the labels and units without their Chinese text (empty: all present)."""
    out: list[str] = []
    for path, entry in _walk(protocol, ""):
        out.extend(_missing_labels(path, entry))
    out.extend(f"units_zh: {u!r} missing" for u in units_used(protocol) if not protocol.unit_zh(u))
    return out
