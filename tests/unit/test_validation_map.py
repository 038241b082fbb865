"""The validation map is complete and true (P11-01's check)."""

from tests import validation_map


def test_validation_map_has_no_problems():
    assert validation_map.problems() == []


def test_covered_requirements_of_the_foundation():
    required = {
        "P11-03",
        "P11-04",
        "P11-05",
        "P11-06",
        "P11-07",
        "P11-09",
        "P11-15",
        "P11-17",
        "GCP-02",
        "GCP-04",
        "GCP-05",
        "GCP-06",
        "SEC-01",
        "SEC-02",
        "SEC-03",
        "SEC-04",
        "SEC-05",
        "SEC-06",
        "SEC-07",
        "SEC-13",
        "SEC-14",
        "REL-01",
        "REL-02",
        "REL-03",
        "REL-05",
        "REL-09",
    }
    assert required <= set(validation_map.marked_tests())
