"""Configuration classes. Every setting can be overridden from the environment.

Pick a class with ``STUDYAPP_CONFIG`` (development, testing, production) or pass one to
``create_app``. Secrets never live in this file: production refuses to start without them.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

#: The old public development key: refused by production and replaced by an instance key
#: elsewhere (SEC-14).
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    #: Unset: a random key kept in instance/secret_key (development); production refuses.
    SECRET_KEY = env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'studyapp.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    #: SQLite busy timeout in milliseconds (REL-05).
    SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 10000)
    #: A commit waits until the disk has it (FULL); only throwaway databases use OFF.
    SQLITE_SYNCHRONOUS = env("SQLITE_SYNCHRONOUS", "FULL")

    #: Site time zone: times are stored in UTC and shown in this zone (GCP-06).
    SITE_TIMEZONE = env("SITE_TIMEZONE", "Asia/Shanghai")
    #: A visit form first saved more than this many days after the visit is flagged late (GCP-01).
    LATE_ENTRY_DAYS = env_int("LATE_ENTRY_DAYS", 3)
    #: Where report and export files wait for download (shared storage with several nodes).
    EXPORT_DIR = env("EXPORT_DIR", "")
    #: Years the study records and their audit trail are kept after the trial ends (CN-02;
    #: China GCP: at least 5, to confirm with the sponsor). Nothing in the application deletes
    #: audit rows or study data: this says how long backups and archives must be kept.
    RETENTION_YEARS = max(5, env_int("RETENTION_YEARS", 5))
    #: Hours a made file is kept for download.
    EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)
    #: Minutes after which a file still "being made" is told as interrupted.
    EXPORT_STALE_MINUTES = env_int("EXPORT_STALE_MINUTES", 120)
    #: Made in the request instead of a thread (Testing).
    EXPORT_INLINE = False
    EXPORT_RATE_LIMIT = env("EXPORT_RATE_LIMIT", "30 per hour")
    SITE_NAME = env("SITE_NAME", "studyapp")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "zh_Hans")

    # Sessions (SEC-05): signed cookies, checked against the per-user epoch on each request.
    IDLE_TIMEOUT = timedelta(minutes=env_int("IDLE_TIMEOUT_MINUTES", 15))
    ABSOLUTE_TIMEOUT = timedelta(hours=env_int("ABSOLUTE_TIMEOUT_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = ABSOLUTE_TIMEOUT
    SESSION_COOKIE_NAME = env("SESSION_COOKIE_NAME", "studyapp_session")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    # Login throttling (SEC-04): 5 failures lock the account, for 15 minutes then doubling.
    LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 15)
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "20 per minute")
    #: Single-use password set-up/reset codes expire after this many hours (P11-17).
    RESET_CODE_HOURS = env_int("RESET_CODE_HOURS", 24)
    #: argon2id cost (SEC-01): RFC 9106's low-memory profile; hashes made with other
    #: parameters are rehashed at the next sign-in.
    PASSWORD_HASH = {
        "time_cost": env_int("ARGON2_TIME_COST", 3),
        "memory_cost": env_int("ARGON2_MEMORY_KIB", 65536),
        "parallelism": env_int("ARGON2_PARALLELISM", 4),
    }

    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    #: Send HSTS; set when the app is only reached through TLS (nginx in front).
    HSTS = env_bool("HSTS", False)
    #: Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT = env_int("PROXY_COUNT", 0)
    TOTP_ISSUER = env("TOTP_ISSUER", "studyapp")

    # Mail (P11-17): set-up and reset codes go by e-mail to the account holder only.
    # Without MAIL_SERVER the code is shown once to the data manager for handing over.
    MAIL_SERVER = env("MAIL_SERVER", "")
    MAIL_PORT = env_int("MAIL_PORT", 587)
    #: Implicit TLS from the first byte (SMTPS, usually port 465).
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    #: STARTTLS on a plain connection (submission, usually port 587).
    MAIL_USE_STARTTLS = env_bool("MAIL_USE_STARTTLS", True)
    MAIL_USERNAME = env("MAIL_USERNAME", "")
    MAIL_PASSWORD = env("MAIL_PASSWORD", "")
    MAIL_FROM = env("MAIL_FROM", "")
    MAIL_TIMEOUT_SECONDS = env_int("MAIL_TIMEOUT_SECONDS", 15)

    # Audit chain checkpoints (REL-03): signed with a key kept outside the database
    # (unset: instance/audit_anchor_key in development; production refuses), appended to
    # a JSON-lines file (default instance/audit-anchors.jsonl) every N audit rows and at
    # the first write after M minutes; 0 turns either trigger off.
    AUDIT_ANCHOR_KEY = env("AUDIT_ANCHOR_KEY")
    AUDIT_ANCHOR_PATH = env("AUDIT_ANCHOR_PATH")
    AUDIT_ANCHOR_EVERY_ROWS = env_int("AUDIT_ANCHOR_EVERY_ROWS", 1000)
    AUDIT_ANCHOR_MINUTES = env_int("AUDIT_ANCHOR_MINUTES", 60)
    DEMO_PASSWORD = env("DEMO_PASSWORD", "demo-password-2026")


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    AUDIT_ANCHOR_KEY = "testing-audit-anchor-key"
    AUDIT_ANCHOR_EVERY_ROWS = 0
    AUDIT_ANCHOR_MINUTES = 0
    SQLALCHEMY_DATABASE_URI = env("TEST_SQLITE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_RATE_LIMIT = "1000 per minute"
    EXPORT_RATE_LIMIT = "1000 per minute"
    EXPORT_INLINE = True
    EXPORT_DIR = env("TEST_EXPORT_DIR", str(Path(tempfile.gettempdir()) / "studyapp-test-exports"))
    #: The cheapest real argon2id hash, so a test spends no seconds hashing passwords.
    PASSWORD_HASH = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}
    #: Each test's database is a copy thrown away after it: a commit need not wait for the
    #: disk (visibility and locking are unchanged; only a crash of the machine could lose it).
    SQLITE_SYNCHRONOUS = "OFF"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = env("SESSION_COOKIE_NAME", "__Host-studyapp")
    HSTS = env_bool("HSTS", True)


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = (env("STUDYAPP_CONFIG", "development") or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"STUDYAPP_CONFIG={name!r}: choose one of {', '.join(CONFIGS)}")
    return CONFIGS[name]
