"""Browser tests: Playwright drives Debian's Chromium against a live server.

Skipped with a clear reason when /usr/bin/chromium is absent, unless
STUDYAPP_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser fails the run.

Dates and times come from the live server's clock (``site_date``; ``studyapp.db.utcnow()``),
which the suite pins for every thread (tests/site_clock.py): the server answers in its own
threads, where ``freeze_clock`` in the test does not reach. The browser runs in the site's
time zone and, when the clock is pinned, on the same clock.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from config import TestingConfig
from studyapp import create_app
from studyapp.db import site_today
from studyapp.extensions import db
from tests import factories

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("STUDYAPP_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_app(tmp_path: Path, sqlite_template: Path) -> Any:
    """The app on a fresh SQLite copy with a user per role (tests may add data to it)."""
    target = tmp_path / "e2e.db"
    shutil.copyfile(sqlite_template, target)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{target}")
    with app.app_context():
        factories.users_per_role()
        db.session.remove()
    return app


@pytest.fixture
def site_date(live_app: Any) -> date:
    """Today at the site, as the live server's pages call it (not the UTC date)."""
    with live_app.app_context():
        return site_today()


def _buffered(app: Any) -> Any:
    """Answer each request from a finished body, its files already closed.

    Werkzeug's development server leaves a response's file open when the browser drops the
    connection first (it registers the closed socket before closing the body), and the file's
    ResourceWarning then fails whichever test the garbage collector happens to run in.
    """

    def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return serve


@pytest.fixture
def live_server(live_app: Any) -> Iterator[str]:
    """``live_app`` served on a free local port."""
    app = live_app
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser: Any, live_server: str, site_clock: datetime | None) -> Iterator[Any]:
    """A page in the site's time zone, on the suite's clock when pinned (as is then the server)."""
    zone = TestingConfig.SITE_TIMEZONE
    context = browser.new_context(base_url=live_server, locale="en-GB", timezone_id=zone)
    if site_clock is not None:
        context.clock.set_fixed_time(site_clock)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def sign_in(page: Any, username: str, password: str = factories.PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if "/login/code" in page.url:
        page.get_by_label("6-digit code").fill(factories.totp_now())  # on the server's clock
        page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()  # the next page's scripts have run (and its files loaded)


def enrolled_with_vitals(live_app: Any, site_date: date) -> int:
    """A subject enrolled a week before the site's today, its Day 1 vital signs saved by the
    investigator (weight 58.3, blood pressure 118/74, heart rate 71, 37.2 °C at 09:05)."""
    from datetime import UTC, time, timedelta
    from decimal import Decimal

    from studyapp.audit.context import acting_as
    from studyapp.auth.models import User
    from studyapp.db import freeze_clock
    from studyapp.visits.vitals import service as vitals

    day1 = site_date - timedelta(days=7)
    with live_app.app_context():
        inv = db.session.scalar(db.select(User).where(User.username == "inv.user"))
        try:
            freeze_clock(datetime.combine(day1 - timedelta(days=1), time(1, 0), UTC))
            subject = factories.make_enrolled(inv, day1, screened=day1 - timedelta(days=1))
            freeze_clock(datetime.combine(day1, time(2, 0), tzinfo=UTC))
            measures = {"weight": Decimal("58.3"), "sysbp": 118, "diabp": 74, "pulse": 71}
            entry = vitals.VitalsEntry(day1, time(9, 5), measures | {"temp": Decimal("37.2")})
            with acting_as(inv):
                vitals.save(inv, subject.id, "1", entry, visit_date=day1, confirmed=True)
            db.session.commit()
        finally:
            freeze_clock(None)
        subject_id = subject.id
        db.session.remove()
    return subject_id
