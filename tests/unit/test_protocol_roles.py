"""The protocol names the values code used to spell out: the platelet test, the SAE lab window
and the infusion-reaction term; a bad value is refused by the loader naming the key."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from studyapp.protocol.loader import DEFAULT_PATH, get_protocol, protocol_from_dict

_DELETE = object()


def raw() -> dict[str, Any]:
    with DEFAULT_PATH.open("rb") as fh:
        return tomllib.load(fh)


def test_roles_from_the_file() -> None:
    p = get_protocol()
    assert p.response.platelet_test == "PLAT"
    assert p.lab(p.response.platelet_test).name == "Platelets"
    assert p.safety.sae_lab_window_days == 14
    assert p.dlt.irr_term == "Infusion related reaction"
    assert p.dlt.irr_term in p.dlt.irr_terms


def test_platelet_test_may_name_any_lab_of_the_file() -> None:
    """The role is data: the loader checks it names a lab entry, not that it says PLAT."""
    data = raw()
    data["response"]["platelet_test"] = "HGB"
    assert protocol_from_dict(data).response.platelet_test == "HGB"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ("response", "platelet_test"),
            "PLT",
            r"response.platelet_test 'PLT' is not a labs testcd; known: PLAT, WBC",
        ),
        (("response", "platelet_test"), _DELETE, r"response.platelet_test: missing; expected"),
        (("response", "platelet_test"), 1, r"response.platelet_test: expected a string"),
        (("safety", "sae_lab_window_days"), 0, r"safety.sae_lab_window_days must be >= 1"),
        (("safety", "sae_lab_window_days"), "14", r"sae_lab_window_days: expected an integer"),
        (("safety", "sae_lab_window_days"), _DELETE, r"safety.sae_lab_window_days: missing"),
        (
            ("dlt", "irr_term"),
            "Infusion reaction",
            r"dlt.irr_term must be one of dlt.irr_terms \(Infusion related reaction, ",
        ),
        (("dlt", "irr_term"), _DELETE, r"dlt.irr_term: missing; expected a string"),
    ],
)
def test_bad_role_keys(path: tuple[str, str], value: Any, message: str) -> None:
    data = raw()
    table = data[path[0]]
    if value is _DELETE:
        del table[path[1]]
    else:
        table[path[1]] = value
    with pytest.raises(ValueError, match=message):
        protocol_from_dict(data)


def test_the_unscheduled_visit_is_marked_in_the_file() -> None:
    p = get_protocol()
    assert p.unscheduled_visit.code == "UNS"
    assert [v.code for v in p.visits if v.unscheduled] == ["UNS"]


def _visit(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(v for v in data["visits"] if v["code"] == code)


def test_at_most_one_unscheduled_visit() -> None:
    data = raw()
    _visit(data, "ET")["unscheduled"] = True
    with pytest.raises(
        ValueError, match=r"at most one visit may have unscheduled = true, got ET, UNS"
    ):
        protocol_from_dict(data)
    data = raw()
    del _visit(data, "UNS")["unscheduled"]
    protocol = protocol_from_dict(data)  # a study without unscheduled visits is a valid study
    with pytest.raises(ValueError, match=r"the protocol has no visit with unscheduled = true"):
        _ = protocol.unscheduled_visit


def test_bad_unscheduled_flag() -> None:
    data = raw()
    _visit(data, "D8")["unscheduled"] = True
    with pytest.raises(ValueError, match=r"visit D8: an unscheduled visit cannot have a planned"):
        protocol_from_dict(data)
    data = raw()
    _visit(data, "UNS")["unscheduled"] = "yes"
    with pytest.raises(ValueError, match=r"visits\[\d+\].unscheduled: expected true or false"):
        protocol_from_dict(data)
