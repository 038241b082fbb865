"""The shipped CTCAE v5.0 list loads, is consistent, and searches; a bad file names the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyapp.safety.ctcae import (
    COLUMNS,
    DEFAULT_PATH,
    SYNONYMS_PATH,
    Catalogue,
    Term,
    load,
    with_synonyms,
)

INFUSION_REACTION = "10051792"
PLATELETS_DECREASED = "10035528"
ANEMIA = "10002272"
ANAPHYLAXIS = "10002218"

HEADER = ",".join(COLUMNS)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load()


def by_name(cat: Catalogue, name: str) -> Term:
    matches = [t for t in cat if t.term == name]
    assert len(matches) == 1, name
    return matches[0]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ctcae.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_file_loads_once_and_is_complete(cat: Catalogue) -> None:
    assert DEFAULT_PATH.is_file()
    assert load() is cat  # cached
    assert len(cat) == 837  # the full CTCAE v5.0 term list
    assert len(cat.socs()) == 26
    assert len(list(cat)) == len(cat)


def test_codes_unique_and_every_row_has_term_and_soc(cat: Catalogue) -> None:
    codes = [t.code for t in cat]
    assert len(set(codes)) == len(codes)
    assert all(c.isdigit() and len(c) == 8 for c in codes)  # MedDRA codes
    names = [t.term for t in cat]
    assert len(set(names)) == len(names)
    for t in cat:
        assert t.term.strip(), t.code
        assert t.soc.strip(), t.code
        assert t.allowed_grades(), t.term  # every term has at least one grade


def test_file_is_sorted_by_soc_then_term(cat: Catalogue) -> None:
    keys = [(t.soc.casefold(), t.term.casefold()) for t in cat]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("code", "name", "soc"),
    [
        (
            INFUSION_REACTION,
            "Infusion related reaction",
            "Injury, poisoning and procedural complications",
        ),
        (PLATELETS_DECREASED, "Platelet count decreased", "Investigations"),
        (ANEMIA, "Anemia", "Blood and lymphatic system disorders"),
        (ANAPHYLAXIS, "Anaphylaxis", "Immune system disorders"),
        ("10001718", "Allergic reaction", "Immune system disorders"),
        ("10052015", "Cytokine release syndrome", "Immune system disorders"),
        ("10040555", "Shingles", "Infections and infestations"),
        ("10027313", "Menorrhagia", "Reproductive system and breast disorders"),
        ("10011914", "Death NOS", "General disorders and administration site conditions"),
    ],
)
def test_known_terms(cat: Catalogue, code: str, name: str, soc: str) -> None:
    t = cat.get(code)
    assert t is not None
    assert (t.term, t.soc) == (name, soc)
    assert by_name(cat, name) is t


def test_get_unknown_code(cat: Catalogue) -> None:
    assert cat.get("99999999") is None
    assert cat.get(f" {ANEMIA} ") is cat.get(ANEMIA)


def test_grade_definitions(cat: Catalogue) -> None:
    platelets = cat.get(PLATELETS_DECREASED)
    assert platelets is not None
    assert platelets.definition(4) == "<25,000/mm3; <25.0 x 10e9 /L"
    assert platelets.definition(5) is None
    assert platelets.allowed_grades() == (1, 2, 3, 4)

    anaphylaxis = cat.get(ANAPHYLAXIS)
    assert anaphylaxis is not None
    assert anaphylaxis.definition(1) is None
    assert anaphylaxis.definition(2) is None
    assert anaphylaxis.allowed_grades() == (3, 4, 5)
    assert anaphylaxis.definition(5) == "Death"

    irr = cat.get(INFUSION_REACTION)
    assert irr is not None
    assert irr.allowed_grades() == (1, 2, 3, 4, 5)
    grade1 = irr.definition(1)
    assert grade1 is not None
    assert grade1.startswith("Mild transient reaction")

    death = by_name(cat, "Death NOS")
    assert death.allowed_grades() == (5,)


def test_no_grade_is_a_placeholder(cat: Catalogue) -> None:
    for t in cat:
        assert "-" not in t.grades, t.term  # "-" is stored as an empty cell


@pytest.mark.parametrize("grade", [0, 6, -1])
def test_definition_rejects_out_of_range_grade(cat: Catalogue, grade: int) -> None:
    t = cat.get(ANEMIA)
    assert t is not None
    with pytest.raises(ValueError, match="1-5"):
        t.definition(grade)


def test_dash_counts_as_absent() -> None:
    t = Term(code="x", term="X", soc="S", grades=("-", " - ", "", "Severe", "Death"))
    assert t.allowed_grades() == (4, 5)
    assert t.definition(1) is None


def test_search_prefix_matches_first(cat: Catalogue) -> None:
    hits = cat.search("infus")
    assert hits[0].code == INFUSION_REACTION
    assert "Infusion site extravasation" in [t.term for t in hits]


def test_search_platelet(cat: Catalogue) -> None:
    hits = cat.search("PLATELET")
    assert hits[0].term == "Platelet count decreased"


def test_search_every_word_must_match_term_or_soc(cat: Catalogue) -> None:
    hits = cat.search("count decreased", limit=50)
    names = {t.term for t in hits}
    assert {"Platelet count decreased", "Neutrophil count decreased"} <= names
    assert all("count" in n.lower() and "decreased" in n.lower() for n in names)

    # a word may match the SOC instead of the term
    gi_bleeds = cat.search("hemorrhage gastrointestinal", limit=100)
    assert "Rectal hemorrhage" in {t.term for t in gi_bleeds}
    assert all(
        t.soc == "Gastrointestinal disorders" or "gastrointestinal" in t.term.lower()
        for t in gi_bleeds
    )

    assert cat.search("platelet nonsenseword") == []


def test_search_ordering_and_limit(cat: Catalogue) -> None:
    hits = cat.search("hemorrhage", limit=200)
    assert len(hits) > 20
    names = [t.term for t in hits]
    assert names == sorted(names, key=str.casefold)  # none starts with "hemorrhage"
    assert len(cat.search("hemorrhage")) == 20
    assert len(cat.search("hemorrhage", limit=3)) == 3
    assert cat.search("hemorrhage", limit=0) == []


@pytest.mark.parametrize("query", ["", "   ", "\t"])
def test_search_empty_query(cat: Catalogue, query: str) -> None:
    assert cat.search(query) == []


def test_load_custom_file_skips_comments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"# a comment\n{HEADER}\n# another\n"
        '1,Foo,Bar SOC,a,"b, c",,,Death\n\n2,Baz,Bar SOC,,,x,,\n',
    )
    cat = load(path)
    assert [t.term for t in cat] == ["Foo", "Baz"]
    foo = cat.get("1")
    assert foo is not None
    assert foo.definition(2) == "b, c"
    assert foo.allowed_grades() == (1, 2, 5)
    assert cat.socs() == ["Bar SOC"]


def test_malformed_row_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, f"# comment\n{HEADER}\n1,Foo,SOC,a,b,c,d,e\n2,Bar,SOC,a,b\n")
    with pytest.raises(ValueError, match=r"line 4: expected 8 columns, got 5"):
        load(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1,Foo,SOC,a,,,,\n1,Bar,SOC,a,,,,\n", "line 3: duplicate code '1'"),
        (",Foo,SOC,a,,,,\n", "line 2: code is empty"),
        ("1,,SOC,a,,,,\n", "line 2: term is empty"),
        ("1,Foo, ,a,,,,\n", "line 2: soc is empty"),
        ('1,"Foo,SOC,a,,,,\n', "line"),
    ],
)
def test_bad_rows_rejected(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load(write(tmp_path, f"{HEADER}\n{body}"))


def test_bad_header_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="line 1: header must be"):
        load(write(tmp_path, "code,term,soc\n"))
    with pytest.raises(ValueError, match="no header row"):
        load(write(tmp_path, "# only a comment\n"))


def test_find_by_name_or_code() -> None:
    catalogue = load()
    term = catalogue.find("  infusion RELATED reaction ")
    assert term is not None
    assert term.soc == "Injury, poisoning and procedural complications"
    assert catalogue.find(term.code) == term
    assert catalogue.find("no such term") is None


@pytest.mark.parametrize(
    ("query", "term", "synonym"),
    [
        ("nosebleed", "Epistaxis", "nosebleed"),
        ("Nose bleed", "Epistaxis", "nose bleed"),
        ("nose", "Epistaxis", "nosebleed"),  # a word's start is enough
        ("herpes zoster", "Shingles", "herpes zoster"),
        ("shingles", "Shingles", None),  # a CTCAE term by its own name
        ("rash", "Rash maculo-papular", None),  # the synonym puts it before the other rashes
        ("uti", "Urinary tract infection", "UTI"),
    ],
)
def test_lookup_finds_a_term_by_its_synonym_first(
    cat: Catalogue, query: str, term: str, synonym: str | None
) -> None:
    first = cat.lookup(query)[0]
    assert (first.term.term, first.synonym) == (term, synonym)


def test_lookup_keeps_the_name_search_after_the_synonyms(cat: Catalogue) -> None:
    hits = cat.lookup("rash")
    assert [h.term.term for h in hits[:1]] == ["Rash maculo-papular"]
    assert {"Rash acneiform", "Rash pustular"} <= {h.term.term for h in hits}
    assert len({h.term.code for h in hits}) == len(hits)  # each term once
    assert cat.lookup("itch", limit=0) == [] == cat.lookup("   ")
    assert cat.synonym_hits("xyzzy") == []


def test_every_shipped_synonym_names_a_term_of_the_list(cat: Catalogue) -> None:
    assert SYNONYMS_PATH.is_file()
    assert with_synonyms(cat, SYNONYMS_PATH).lookup("hives")[0].term.term == "Urticaria"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("term,synonym,note\n", "line 1: header must be synonym,term,note"),
        ("synonym,term,note\nnosebleed,Epistaxis\n", "line 2: expected 3 columns, got 2"),
        ("synonym,term,note\nnosebleed,Nose bleeding,\n", "line 2: 'Nose bleeding' is not"),
        ("synonym,term,note\nnosebleed,epistaxis,\n", "line 2: 'epistaxis' is not"),
        (
            "synonym,term,note\nnosebleed,Epistaxis,\nNosebleed,Epistaxis,\n",
            "line 3: synonym 'Nosebleed' is listed twice",
        ),
    ],
)
def test_a_bad_synonym_file_names_the_line(
    cat: Catalogue, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "synonyms.csv"
    path.write_text("# comment\n\n" + text if "header" in message else text, encoding="utf-8")
    with pytest.raises(ValueError, match=message.replace("line 1", "line 3")):
        with_synonyms(cat, path)
