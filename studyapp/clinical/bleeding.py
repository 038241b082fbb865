"""Bleeding assessment: ITP-BAT SMOG domain grades and the WHO grade (DOMAIN.md section 5).

* **ITP-BAT** [C] (Rodeghiero et al., Blood 2013;121:2596): each item of the Skin (S), visible
  Mucosae (M) and Organs (O) domains is graded 0..its maximum for the worst episode since the
  last visit (5 = fatal). The grade of a domain is the highest grade of its items; the result
  is written S2M1O0. Items and maxima come from the protocol's ``[bleeding]`` table
  (``BleedingScale``); an item not assessed counts as grade 0.
* **WHO** [C]: a single grade 0 (none) to 4 (debilitating: CNS or retinal bleeding with visual
  loss, or fatal); the wording of each grade is ``BleedingScale.who_grades``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from studyapp.protocol.model import BLEEDING_DOMAINS, WHO_MAX_GRADE, BleedingScale


@dataclass(frozen=True)
class SmogScore:
    """Highest item grade of each ITP-BAT domain: Skin, Mucosae, Organs."""

    skin: int
    mucosa: int
    organ: int

    @property
    def label(self) -> str:
        """The usual notation, e.g. ``S2M1O0``."""
        return f"S{self.skin}M{self.mucosa}O{self.organ}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def smog(grades: Mapping[str, int], scale: BleedingScale) -> SmogScore:
    """SMOG domain grades from item grades (*grades*: item code -> grade).

    Each domain's grade is the highest grade of its items; items missing from *grades* count
    as 0. ValueError for an item code the scale does not know, or a grade that is not an
    integer between 0 and the item's ``max_grade``.
    """
    highest = dict.fromkeys(BLEEDING_DOMAINS, 0)
    for code, grade in grades.items():
        item = scale.item(code)
        if not _is_int(grade) or not 0 <= grade <= item.max_grade:
            raise ValueError(
                f"bleeding item {code}: grade must be an integer 0-{item.max_grade}, got {grade!r}"
            )
        highest[item.domain] = max(highest[item.domain], grade)
    return SmogScore(skin=highest["S"], mucosa=highest["M"], organ=highest["O"])


def check_who_grade(grade: int) -> int:
    """Return *grade* if it is a WHO bleeding grade (integer 0-4); ValueError otherwise."""
    if not _is_int(grade) or not 0 <= grade <= WHO_MAX_GRADE:
        raise ValueError(f"WHO bleeding grade must be an integer 0-{WHO_MAX_GRADE}, got {grade!r}")
    return grade
