"""Role guides, validation docs and change log live in the repository (P11-12)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.req("P11-12")
def test_docs_index_lists_every_document():
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for doc in (ROOT / "docs").rglob("*.md"):
        name = doc.relative_to(ROOT / "docs").as_posix()
        if name != "index.md":
            assert f"]({name})" in index, name
    assert "](../CHANGELOG.md)" in index
    assert (ROOT / "CHANGELOG.md").exists()
    for role in ("investigator", "coordinator", "monitor", "data-manager"):
        assert (ROOT / "docs" / "user-guide" / f"{role}.md").exists()


def test_readme_opens_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line for line in lines[:6] if line.startswith("make ")]
    assert [c.split()[1] for c in commands] == ["run", "test"]


def test_readme_lists_every_demo_account_and_the_port_setting():
    from studyapp.demo.loader import DEMO_USERS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for user in DEMO_USERS:
        assert f"| `{user.username}` | {user.full_name} |" in readme, user.username
    assert "make run PORT=8080" in readme
