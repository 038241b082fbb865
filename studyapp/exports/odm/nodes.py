"""Making ODM 1.3.2 elements: the namespace and two small builders."""

from __future__ import annotations

from lxml import etree

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: NS}


def _attrs(attrs: dict[str, object]) -> dict[str, str]:
    return {name: str(value) for name, value in attrs.items() if value is not None}


def element(tag: str, **attrs: object) -> etree._Element:
    """A free-standing ODM element (attributes with a None value are left out)."""
    return etree.Element(f"{{{NS}}}{tag}", _attrs(attrs), nsmap=NSMAP)


def sub(parent: etree._Element, tag: str, **attrs: object) -> etree._Element:
    """A child ODM element appended to *parent*."""
    return etree.SubElement(parent, f"{{{NS}}}{tag}", _attrs(attrs))


def translated(parent: etree._Element, tag: str, english: str, chinese: str | None = None):  # type: ignore[no-untyped-def]
    """``<tag><TranslatedText xml:lang="en">..</TranslatedText>[zh]</tag>``."""
    holder = sub(parent, tag)
    text = sub(holder, "TranslatedText", **{XML_LANG: "en"})
    text.text = english
    if chinese:
        other = sub(holder, "TranslatedText", **{XML_LANG: "zh"})
        other.text = chinese
    return holder


def texted(parent: etree._Element, tag: str, value: str, **attrs: object) -> etree._Element:
    """A child element holding text."""
    node = sub(parent, tag, **attrs)
    node.text = value
    return node
