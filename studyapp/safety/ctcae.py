"""The CTCAE v5.0 term list shipped with the app (``ctcae_v5.csv``), searchable.

``load()`` reads the packaged CSV once and returns a ``Catalogue``; ``load(path)`` reads another
file (uncached). The packaged catalogue also knows the synonyms of ``ctcae_synonyms.csv``
(herpes zoster, nosebleed, rash ...): ``lookup`` finds a term by them too and says which one
matched. Each ``Term`` carries its MedDRA code, name, system organ class and the five grade
definitions; a grade CTCAE marks "-" (does not exist for that term) is stored empty and
``Term.definition()`` returns None for it. A malformed file raises ValueError naming the line.

Stdlib only and free of Flask, so forms, reports and CLI commands can all use it.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("ctcae_v5.csv")
SYNONYMS_PATH = Path(__file__).with_name("ctcae_synonyms.csv")
SYNONYM_COLUMNS = ("synonym", "term", "note")

COLUMNS = ("code", "term", "soc", "grade1", "grade2", "grade3", "grade4", "grade5")
GRADES = (1, 2, 3, 4, 5)
_ABSENT = ("", "-")


@dataclass(frozen=True)
class Term:
    """One CTCAE term: MedDRA code, name, SOC and the grade 1-5 definitions ("" if none)."""

    code: str
    term: str
    soc: str
    grades: tuple[str, str, str, str, str]

    def definition(self, grade: int) -> str | None:
        """The wording of *grade* (1-5), or None when CTCAE defines no such grade."""
        if grade not in GRADES:
            raise ValueError(f"CTCAE grade must be 1-5, got {grade!r}")
        text = self.grades[grade - 1].strip()
        return None if text in _ABSENT else text

    def allowed_grades(self) -> tuple[int, ...]:
        """The grades that exist for this term, in ascending order."""
        return tuple(g for g in GRADES if self.definition(g) is not None)


@dataclass(frozen=True)
class Hit:
    """A term found by a search, and the synonym that found it (None: its own name or SOC)."""

    term: Term
    synonym: str | None = None


class Catalogue:
    """An ordered, code-indexed collection of terms with a word search."""

    def __init__(self, terms: Iterable[Term], synonyms: Iterable[tuple[str, str]] = ()) -> None:
        self._terms: tuple[Term, ...] = tuple(terms)
        #: (synonym, term code) pairs, in the order of their file.
        self._synonyms: tuple[tuple[str, str], ...] = tuple(synonyms)
        self._by_code: dict[str, Term] = {}
        for t in self._terms:
            if t.code in self._by_code:
                raise ValueError(f"duplicate CTCAE code {t.code!r}")
            self._by_code[t.code] = t

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms)

    def get(self, code: str) -> Term | None:
        """The term with MedDRA code *code*, or None."""
        return self._by_code.get(code.strip())

    def find(self, text: str) -> Term | None:
        """The term named *text* (case-insensitive, spaces trimmed) or with that code."""
        wanted = " ".join(text.casefold().split())
        for t in self._terms:
            if t.term.casefold() == wanted:
                return t
        return self.get(text)

    def socs(self) -> list[str]:
        """The distinct system organ classes, sorted."""
        return sorted({t.soc for t in self._terms}, key=str.casefold)

    def search(self, query: str, limit: int = 20) -> list[Term]:
        """Terms matching every word of *query* (case-insensitive) in their name or SOC.

        Terms whose name starts with the whole query come first, then the rest; each group is
        ordered by term name. An empty query, or a limit below 1, returns [].
        """
        needle = " ".join(query.casefold().split())
        if not needle or limit < 1:
            return []
        words = needle.split()
        hits = [
            t
            for t in self._terms
            if all(w in t.term.casefold() or w in t.soc.casefold() for w in words)
        ]
        hits.sort(key=lambda t: (not t.term.casefold().startswith(needle), t.term.casefold()))
        return hits[:limit]

    def synonym_hits(self, query: str) -> list[Hit]:
        """The terms of the synonyms that every word of *query* starts a word of ("nose" finds
        "nosebleed"), an exact synonym first, then in file order; one hit per term."""
        words = query.casefold().split()
        if not words:
            return []
        needle = " ".join(words)
        found = [
            (synonym, code)
            for synonym, code in self._synonyms
            if all(any(part.startswith(w) for part in synonym.casefold().split()) for w in words)
        ]
        found.sort(key=lambda pair: pair[0].casefold() != needle)
        hits: dict[str, Hit] = {}
        for synonym, code in found:
            hits.setdefault(code, Hit(self._by_code[code], synonym))
        return list(hits.values())

    def lookup(self, query: str, limit: int = 20) -> list[Hit]:
        """``search`` with the synonyms: the terms a synonym names come first (marked with the
        synonym unless the term's own name has the words), then the terms matched by name or
        SOC; each term once, at most *limit*."""
        if limit < 1:
            return []
        words = query.casefold().split()
        hits = {
            # a term whose own name has the words needs no synonym to explain it
            hit.term.code: Hit(hit.term)
            if all(w in hit.term.term.casefold() for w in words)
            else hit
            for hit in self.synonym_hits(query)
        }
        for term in self.search(query, limit):
            hits.setdefault(term.code, Hit(term))
        return list(hits.values())[:limit]


def _uncommented(lines: Iterable[str]) -> Iterator[str]:
    """Blank out ``#`` comment lines, keeping line numbers for error messages."""
    for line in lines:
        yield "\n" if line.lstrip().startswith("#") else line


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each CSV record; a quoting error becomes ValueError."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(_uncommented(fh), strict=True)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ValueError(f"{path.name} line {reader.line_num}: {exc}") from exc
            yield reader.line_num, row


def _records(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[str, list[str]]]:
    """(where, row) of each data row of a CSV file whose header must be *columns*; blank rows
    skipped; ValueError naming the line of a bad header, a row of the wrong width or a file
    with no header."""
    header: list[str] | None = None
    for line_num, row in _rows(path):
        where = f"{path.name} line {line_num}"
        if not row or all(not cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            if tuple(header) != columns:
                raise ValueError(f"{where}: header must be {','.join(columns)}")
            continue
        if len(row) != len(columns):
            raise ValueError(f"{where}: expected {len(columns)} columns, got {len(row)}")
        yield where, row
    if header is None:
        raise ValueError(f"{path.name}: no header row")


def _parse(path: Path) -> Catalogue:
    terms: list[Term] = []
    seen: set[str] = set()
    for where, row in _records(path, COLUMNS):
        code, term, soc = (cell.strip() for cell in row[:3])
        for name, value in (("code", code), ("term", term), ("soc", soc)):
            if not value:
                raise ValueError(f"{where}: {name} is empty")
        if code in seen:
            raise ValueError(f"{where}: duplicate code {code!r}")
        seen.add(code)
        g1, g2, g3, g4, g5 = (cell.strip() for cell in row[3:])
        terms.append(Term(code=code, term=term, soc=soc, grades=(g1, g2, g3, g4, g5)))
    return Catalogue(terms)


def _parse_synonyms(path: Path, terms: Catalogue) -> list[tuple[str, str]]:
    """(synonym, term code) pairs of a synonym file; ValueError naming the line of a bad row,
    a repeated synonym or a term that is not in *terms*."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for where, row in _records(path, SYNONYM_COLUMNS):
        synonym, name = " ".join(row[0].split()), row[1].strip()
        term = terms.find(name)
        if not synonym or term is None or term.term != name:
            raise ValueError(f"{where}: {name!r} is not a CTCAE term of the list")
        if synonym.casefold() in seen:
            raise ValueError(f"{where}: synonym {synonym!r} is listed twice")
        seen.add(synonym.casefold())
        pairs.append((synonym, term.code))
    return pairs


def with_synonyms(terms: Catalogue, path: Path) -> Catalogue:
    """*terms* with the synonyms of the file at *path*."""
    return Catalogue(terms, _parse_synonyms(path, terms))


@functools.lru_cache(maxsize=1)
def _default() -> Catalogue:
    return with_synonyms(_parse(DEFAULT_PATH), SYNONYMS_PATH)


def load(path: Path | None = None) -> Catalogue:
    """The catalogue in *path*, or the packaged CTCAE v5.0 list (parsed once) if None."""
    return _default() if path is None else _parse(path)
