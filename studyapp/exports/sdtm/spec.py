"""How an SDTM domain is declared: its variables (name <= 8, label <= 40 characters, Char or
Num, as SAS XPT v5 demands) and the function that reads its rows for one subject."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

CHAR, NUM = "Char", "Num"
#: SAS XPT v5 limits.
MAX_NAME, MAX_LABEL, MAX_CHAR = 8, 40, 200


@dataclass(frozen=True)
class Var:
    name: str
    label: str
    type: str = CHAR

    def __post_init__(self) -> None:
        if not (self.name.isascii() and self.name.isupper() and len(self.name) <= MAX_NAME):
            raise ValueError(f"SDTM variable {self.name!r}: at most 8 upper-case letters")
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"SDTM variable {self.name}: label over 40 characters")
        if self.type not in (CHAR, NUM):
            raise ValueError(f"SDTM variable {self.name}: type {self.type!r}")


#: Rows of one domain for one subject: dicts by variable name, before the identifiers.
RowReader = Callable[[Any], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class Domain:
    code: str  # "AE"; the custom bleeding domain is "XB"
    label: str
    variables: tuple[Var, ...]
    read: RowReader
    #: --SEQ numbered per subject (DM and SV are keyed otherwise).
    seq: bool = True
    #: --DY variable -> the --DTC variable it is the study day of.
    days: dict[str, str] = field(default_factory=dict)
    #: The --DTC variable EPOCH is derived from (None: no EPOCH).
    epoch_from: str | None = None

    def __post_init__(self) -> None:
        names = [v.name for v in self.variables]
        if len(set(names)) != len(names):
            raise ValueError(f"domain {self.code}: a variable is declared twice")
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"domain {self.code}: label over 40 characters")
        for day, dtc in self.days.items():
            if day not in names or dtc not in names:
                raise ValueError(f"domain {self.code}: {day} or {dtc} is not declared")

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    @property
    def seq_name(self) -> str:
        return f"{self.code}SEQ"


def variables(code: str, *specs: tuple[str, str] | tuple[str, str, str]) -> tuple[Var, ...]:
    """STUDYID, DOMAIN, USUBJID and --SEQ, then *specs* ("--" stands for the domain code)."""
    lead = (
        Var("STUDYID", "Study Identifier"),
        Var("DOMAIN", "Domain Abbreviation"),
        Var("USUBJID", "Unique Subject Identifier"),
        Var(f"{code}SEQ", "Sequence Number", NUM),
    )
    return lead + tuple(Var(s[0].replace("--", code), *s[1:]) for s in specs)


def identifiers() -> tuple[Var, ...]:
    """STUDYID, DOMAIN and USUBJID without a sequence number (DM, SV)."""
    return variables("XX")[:3]
