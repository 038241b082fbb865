"""The Study element: GlobalVariables, BasicDefinitions (units) and the MetaDataVersion, made
from the protocol file and the CRF registry (``layout``, ``dictionary``)."""

from __future__ import annotations

from lxml import etree

from studyapp.crf import registry
from studyapp.exports.odm import dictionary, layout
from studyapp.exports.odm.nodes import element, sub, texted, translated
from studyapp.exports.odm.values import decimal_text
from studyapp.protocol.loader import get_protocol


def study_oid() -> str:
    return f"ST.{get_protocol().study.id}"


def mdv_oid() -> str:
    return f"MDV.{get_protocol().study.version}"


def event_oid(code: str) -> str:
    return f"SE.{code}"


def study() -> etree._Element:
    """The whole Study element (a few hundred elements: built in memory, written once)."""
    p = get_protocol()
    root = element("Study", OID=study_oid())
    variables = sub(root, "GlobalVariables")
    texted(variables, "StudyName", p.study.id)
    texted(variables, "StudyDescription", p.study.title)
    texted(variables, "ProtocolName", p.study.id)
    basic = sub(root, "BasicDefinitions")
    for unit in dictionary.units():
        translated(
            sub(basic, "MeasurementUnit", OID=dictionary.unit_oid(unit), Name=unit), "Symbol", unit
        )
    mdv = sub(root, "MetaDataVersion", OID=mdv_oid(), Name=f"Protocol version {p.study.version}")
    _events(mdv)
    _forms(mdv)
    _groups(mdv)
    _items(mdv)
    _codelists(mdv)
    return root


def _events(mdv: etree._Element) -> None:
    visits = get_protocol().visits
    protocol = sub(mdv, "Protocol")
    codes = [v.code for v in visits] + [layout.LOG_EVENT]
    for order, code in enumerate(codes, start=1):
        sub(protocol, "StudyEventRef", StudyEventOID=event_oid(code), OrderNumber=order,
            Mandatory="No")  # fmt: skip
    for visit in visits:
        kind = "Unscheduled" if visit.unscheduled or visit.day is None else "Scheduled"
        repeating = "Yes" if visit.unscheduled else "No"
        node = sub(mdv, "StudyEventDef", OID=event_oid(visit.code), Name=visit.name,
                   Repeating=repeating, Type=kind)  # fmt: skip
        _form_refs(node, visit.forms)
    log = sub(mdv, "StudyEventDef", OID=event_oid(layout.LOG_EVENT), Name="Subject-level log",
              Repeating="No", Type="Common")  # fmt: skip
    _form_refs(log, tuple(f.code for f in layout.log_forms()))


def _form_refs(node: etree._Element, codes: tuple[str, ...]) -> None:
    for order, code in enumerate(codes, start=1):
        sub(node, "FormRef", FormOID=layout.form(code).oid, OrderNumber=order, Mandatory="No")


def _forms(mdv: etree._Element) -> None:
    """One FormDef per code, named in English whatever the maker's language; the page's
    title in both languages is its Description."""
    for form in layout.forms():
        english, chinese = dictionary.both(form.label)
        node = sub(mdv, "FormDef", OID=form.oid, Name=english, Repeating="No")
        if form.owner != form.code:
            english += f" (recorded on the page of form {form.owner})"
        elif not form.groups:
            english += " (not collected by this version of studyapp)"
        translated(node, "Description", english, chinese)
        for group in form.groups:
            sub(node, "ItemGroupRef", ItemGroupOID=group.oid, Mandatory="No")


def _groups(mdv: etree._Element) -> None:
    for form in layout.forms():
        entry = registry.FORMS.get(form.code)
        for group in form.groups:
            node = sub(mdv, "ItemGroupDef", OID=group.oid, Name=f"{form.code} {group.table}",
                       Repeating="Yes" if group.repeating else "No",
                       Domain=entry.domain if entry else None)  # fmt: skip
            for order, item in enumerate(group.items, start=1):
                key = 1 if group.key == item.column else None
                sub(node, "ItemRef", ItemOID=item.oid, OrderNumber=order, Mandatory="No",
                    KeySequence=key)  # fmt: skip


def all_items() -> list[layout.Item]:
    seen: dict[str, layout.Item] = {}
    for form in layout.forms():
        for group in form.groups:
            for item in group.items:
                seen.setdefault(item.oid, item)
    return list(seen.values())


def _items(mdv: etree._Element) -> None:
    for item in all_items():
        node = sub(mdv, "ItemDef", OID=item.oid, Name=item.column, DataType=item.data_type,
                   Length=item.length)  # fmt: skip
        for unit in dictionary.item_units(item.table, item.column):
            sub(node, "MeasurementUnitRef", MeasurementUnitOID=dictionary.unit_oid(unit))
        for soft_hard, comparator, value in dictionary.limits(item.column):
            check = sub(node, "RangeCheck", Comparator=comparator, SoftHard=soft_hard)
            texted(check, "CheckValue", decimal_text(value))
        codelist = dictionary.CODELIST_OF.get((item.table, item.column))
        if codelist is not None:
            sub(node, "CodeListRef", CodeListOID=f"CL.{codelist.upper()}")


def _codelists(mdv: etree._Element) -> None:
    for codelist in dictionary.all_codelists():
        node = sub(mdv, "CodeList", OID=codelist.oid, Name=codelist.name, DataType="text")
        for term in codelist.terms:
            item = sub(node, "CodeListItem", CodedValue=term.code)
            translated(item, "Decode", term.english, term.chinese)
