"""``flask clinical plan`` and ``flask clinical response`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from studyapp.cli.clinical import clinical_cli
from studyapp.protocol.loader import DEFAULT_PATH


def test_plan_prints_the_visit_plan() -> None:
    result = CliRunner().invoke(clinical_cli, ["plan", "--day1", "2026-01-05"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "NCT05562882 protocol 1.0: visit plan from Day 1 = 2026-01-05"
    d8 = next(line for line in lines if " D8 " in line)
    assert "2026-01-12  2026-01-11  2026-01-13  Dose 2" in d8
    assert any("2026-06-22  2026-06-15  2026-06-29  End of study" in line for line in lines)
    assert len(lines) == 2 + 16


def test_plan_with_explicit_protocol_and_bad_date() -> None:
    runner = CliRunner()
    ok = runner.invoke(
        clinical_cli, ["plan", "--day1", "2026-01-05", "--protocol", str(DEFAULT_PATH)]
    )
    assert ok.exit_code == 0
    bad = runner.invoke(clinical_cli, ["plan", "--day1", "05/01/2026"])
    assert bad.exit_code == 2
    assert "does not match the format" in bad.output


def test_plan_with_bad_protocol(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_text("[study]\nid = 1\n")
    result = CliRunner().invoke(
        clinical_cli, ["plan", "--day1", "2026-01-05", "--protocol", str(file)]
    )
    assert result.exit_code == 1
    assert "p.toml: study.id: expected a string, got 1" in result.output


def test_response_prints_json(tmp_path: Path) -> None:
    file = tmp_path / "case.json"
    case = {
        "baseline": 10,
        "counts": [
            {"day": 8, "plt": 60, "bleeding": False},
            {"day": 15, "plt": 120, "bleeding": 0},
            {"day": 22, "plt": 25, "bleeding": 1},
            {"day": 29, "plt": 20, "bleeding": False},
        ],
        "rescue_days": [],
    }
    file.write_text(json.dumps(case))
    result = CliRunner().invoke(clinical_cli, ["response", str(file)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["best_response"] == "R"
    assert out["time_to_response_days"] == 7
    assert out["loss_of_response"] is True
    assert out["duration_of_response_days"] == 14
    assert [c["level"] for c in out["counts"]] == ["R", "CR", "NR", "NR"]
    assert out["counts"][2]["bleeding"] is True  # WHO grade 1 is bleeding


def test_response_without_rescue_days(tmp_path: Path) -> None:
    file = tmp_path / "case.json"
    file.write_text(json.dumps({"baseline": 10, "counts": []}))
    result = CliRunner().invoke(clinical_cli, ["response", str(file)])
    assert json.loads(result.output)["best_response"] == "NR"


def test_response_rejects_bad_files(tmp_path: Path) -> None:
    runner = CliRunner()
    cases = {
        "not json": "not valid JSON",
        "[]": '"baseline", "counts"',
        '{"baseline": 10, "counts": [{"day": 8}]}': (
            "counts[0]: expected an object with day, plt and bleeding"
        ),
        '{"baseline": -1, "counts": []}': "baseline_plt must be >= 0",
        '{"baseline": 10, "counts": 5}': "not iterable",
    }
    for i, (text, message) in enumerate(cases.items()):
        file = tmp_path / f"bad{i}.json"
        file.write_text(text)
        result = runner.invoke(clinical_cli, ["response", str(file)])
        assert result.exit_code == 1, text
        assert message in result.output, (text, result.output)
