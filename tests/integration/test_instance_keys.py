"""`make run` never signs sessions with a public key (SEC-14): without SECRET_KEY (and
AUDIT_ANCHOR_KEY) in the environment, development draws random keys into the instance
folder once and reuses them; production refuses to start without its own."""

from __future__ import annotations

import os

import pytest

import config
from studyapp import create_app

pytestmark = pytest.mark.both_engines  # raw SQL and unique keys


def dev_app(folder, **overrides):
    overrides.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite://")
    return create_app(config.DevelopmentConfig, INSTANCE_PATH=str(folder), **overrides)


@pytest.mark.req("SEC-14")
def test_development_serves_with_a_random_key_not_the_public_default(tmp_path):
    if os.environ.get("SECRET_KEY"):
        pytest.skip("SECRET_KEY is set in this environment, and wins")
    app = dev_app(tmp_path)
    assert app.secret_key != config.DEV_SECRET_KEY
    assert len(app.secret_key) >= 32
    stored = tmp_path / "secret_key"
    assert stored.read_text().strip() == app.secret_key
    assert stored.stat().st_mode & 0o777 == 0o600


@pytest.mark.req("SEC-14")
def test_a_second_start_reuses_the_key_and_another_folder_gets_another(tmp_path):
    first = dev_app(tmp_path / "a", SECRET_KEY=None, AUDIT_ANCHOR_KEY=None)
    again = dev_app(tmp_path / "a", SECRET_KEY=None, AUDIT_ANCHOR_KEY=None)
    other = dev_app(tmp_path / "b", SECRET_KEY=None, AUDIT_ANCHOR_KEY=None)
    assert again.secret_key == first.secret_key
    assert other.secret_key != first.secret_key
    assert again.config["AUDIT_ANCHOR_KEY"] == first.config["AUDIT_ANCHOR_KEY"]
    assert other.config["AUDIT_ANCHOR_KEY"] != first.config["AUDIT_ANCHOR_KEY"]
    assert first.config["AUDIT_ANCHOR_KEY"] != first.secret_key
    assert (tmp_path / "a" / "audit_anchor_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.req("SEC-14")
def test_the_environment_wins_and_the_public_key_is_replaced(tmp_path):
    mine = dev_app(tmp_path / "env", SECRET_KEY="e" * 40, AUDIT_ANCHOR_KEY="f" * 40)
    assert mine.secret_key == "e" * 40
    assert mine.config["AUDIT_ANCHOR_KEY"] == "f" * 40
    assert not (tmp_path / "env" / "secret_key").exists()
    public = dev_app(tmp_path / "pub", SECRET_KEY=config.DEV_SECRET_KEY)
    assert public.secret_key == (tmp_path / "pub" / "secret_key").read_text().strip()


@pytest.mark.req("SEC-14")
def test_testing_keeps_its_fixed_key(app):
    assert app.secret_key == "testing-secret-key"


@pytest.mark.req("REL-03")
@pytest.mark.parametrize("anchor_key", [None, "short", "k" * 40])
def test_production_refuses_a_missing_short_or_shared_anchor_key(tmp_path, anchor_key):
    with pytest.raises(RuntimeError, match="AUDIT_ANCHOR_KEY"):
        create_app(
            config.ProductionConfig,
            SECRET_KEY="k" * 40,
            AUDIT_ANCHOR_KEY=anchor_key,
            INSTANCE_PATH=str(tmp_path),
            SQLALCHEMY_DATABASE_URI="sqlite://",
        )
    assert not (tmp_path / "audit_anchor_key").exists()
