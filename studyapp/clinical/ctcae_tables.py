"""CTCAE v5.0 laboratory grading criteria as data.

Source: Common Terminology Criteria for Adverse Events (CTCAE) v5.0, NCI, 27 Nov 2017,
"Investigations" and "Blood and lymphatic system disorders" SOCs. Values are in the SI unit of
the test (10^9/L, g/L, U/L, umol/L). CTCAE "<A - B" means B <= x < A, ">A - B" means A < x <= B.

Each table row is a ``Cut``: grade ``g`` applies when ``value OP bound x basis``, where basis is
1 (absolute), LLN, ULN or BL (baseline). Rows are checked from the highest grade down and the
first match wins. Grade 5 (death) is never a lab value; anaemia grade 4 ("life-threatening
consequences") is clinical, so the lab-only maximum for HGB is 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType


@dataclass(frozen=True)
class Cut:
    """One grading boundary: grade applies when ``value <op> bound * basis``."""

    grade: int
    op: str  # "<", ">", ">="
    bound: Decimal
    basis: str  # "ABS", "LLN", "ULN", "BL"


@dataclass(frozen=True)
class GradeTable:
    """CTCAE term of a test; ``abnormal_baseline`` applies when baseline > ULN (None: same)."""

    testcd: str
    term: str
    cuts: tuple[Cut, ...]
    abnormal_baseline: tuple[Cut, ...] | None
    source: str


def _cuts(*rows: tuple[int, str, str, str]) -> tuple[Cut, ...]:
    return tuple(Cut(grade, op, Decimal(bound), basis) for grade, op, bound, basis in rows)


def _decrease(g4: str, g3: str, g2: str) -> tuple[Cut, ...]:
    """'<LLN - g2' = G1, '<g2 - g3' = G2, '<g3 - g4' = G3, '<g4' = G4."""
    return _cuts(
        (4, "<", g4, "ABS"), (3, "<", g3, "ABS"), (2, "<", g2, "ABS"), (1, "<", "1", "LLN")
    )


def _increase(basis: str, g1_op: str, g1: str, g2: str, g3: str, g4: str) -> tuple[Cut, ...]:
    """'>g4' = G4, '>g3 - g4' = G3, '>g2 - g3' = G2, '<g1_op> g1 - g2' = G1 (multiples)."""
    return _cuts(
        (4, ">", g4, basis), (3, ">", g3, basis), (2, ">", g2, basis), (1, g1_op, g1, basis)
    )


_AMINOTRANSFERASE = (
    _increase("ULN", ">", "1", "3", "5", "20"),
    # "1.5 - 3.0 x baseline if baseline was abnormal": 1.5 x BL itself is grade 1.
    _increase("BL", ">=", "1.5", "3", "5", "20"),
)

TABLES: MappingProxyType[str, GradeTable] = MappingProxyType(
    {
        "PLAT": GradeTable(
            "PLAT",
            "Platelet count decreased",
            _decrease("25", "50", "75"),
            None,
            "CTCAE v5.0 Investigations",
        ),
        "NEUT": GradeTable(
            "NEUT",
            "Neutrophil count decreased",
            _decrease("0.5", "1.0", "1.5"),
            None,
            "CTCAE v5.0 Investigations",
        ),
        "WBC": GradeTable(
            "WBC",
            "White blood cell decreased",
            _decrease("1.0", "2.0", "3.0"),
            None,
            "CTCAE v5.0 Investigations",
        ),
        "LYM": GradeTable(
            "LYM",
            "Lymphocyte count decreased",
            _decrease("0.2", "0.5", "0.8"),
            None,
            "CTCAE v5.0 Investigations",
        ),
        "HGB": GradeTable(
            "HGB",
            "Anemia",
            _cuts((3, "<", "80", "ABS"), (2, "<", "100", "ABS"), (1, "<", "1", "LLN")),
            None,
            "CTCAE v5.0 Blood and lymphatic system disorders (Hgb <8.0 g/dL = 80 g/L is grade 3)",
        ),
        "ALT": GradeTable(
            "ALT",
            "Alanine aminotransferase increased",
            *_AMINOTRANSFERASE,
            "CTCAE v5.0 Investigations",
        ),
        "AST": GradeTable(
            "AST",
            "Aspartate aminotransferase increased",
            *_AMINOTRANSFERASE,
            "CTCAE v5.0 Investigations",
        ),
        "BILI": GradeTable(
            "BILI",
            "Blood bilirubin increased",
            _increase("ULN", ">", "1", "1.5", "3", "10"),
            _increase("BL", ">", "1", "1.5", "3", "10"),
            "CTCAE v5.0 Investigations",
        ),
        "CREAT": GradeTable(
            "CREAT",
            "Creatinine increased",
            # G2 ">1.5 - 3.0 x baseline; >1.5 - 3.0 x ULN"; G3 ">3.0 x baseline; >3.0 - 6.0 x ULN";
            # baseline rows apply only when a baseline is given.
            _cuts(
                (4, ">", "6", "ULN"),
                (3, ">", "3", "ULN"),
                (3, ">", "3", "BL"),
                (2, ">", "1.5", "ULN"),
                (2, ">", "1.5", "BL"),
                (1, ">", "1", "ULN"),
            ),
            None,
            "CTCAE v5.0 Investigations",
        ),
    }
)
