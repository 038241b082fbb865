"""studyapp: an electronic data-capture system for the NCT05562882 ITP study."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

__version__ = "0.1.0"


def create_app(config: Any = None, **overrides: Any) -> Flask:
    """Build the application: configuration, extensions, hooks, blueprints, commands."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    configure(app, config, overrides)
    register_extensions(app)
    register_auth(app)
    register_blueprints(app)
    register_commands(app)
    from studyapp.web import register_web

    register_web(app)
    return app


def configure(app: Flask, config: Any, overrides: dict[str, Any]) -> None:
    import config as config_module

    app.config.from_object(config or config_module.config_from_env())
    app.config.update(overrides)
    app.config["APP_VERSION"] = __version__
    app.config.setdefault("PROTOCOL_VERSION", _protocol_version())
    if app.config.get("SESSION_COOKIE_SECURE") and app.config["SESSION_COOKIE_NAME"].startswith(
        "__Host-"
    ):
        app.config["SESSION_COOKIE_PATH"] = "/"
    if app.config.get("INSTANCE_PATH"):
        app.instance_path = app.config["INSTANCE_PATH"]
    if not app.debug and not app.testing and app.config.get("SESSION_COOKIE_SECURE"):
        _refuse_public_keys(app, config_module.DEV_SECRET_KEY)
    else:
        from studyapp.instance_keys import fill_from_instance

        fill_from_instance(app.config, app.instance_path, {config_module.DEV_SECRET_KEY})
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    logging.getLogger("studyapp").setLevel(logging.INFO)
    _configure_security_log()


def _refuse_public_keys(app: Flask, dev_key: str) -> None:
    """Production starts only with its own random keys from the environment (SEC-14)."""
    key = app.config.get("SECRET_KEY")
    if not key or key == dev_key or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY is missing, the development default or shorter than 32 "
            "characters: set a random one in the environment (SEC-14)."
        )
    anchor = app.config.get("AUDIT_ANCHOR_KEY")
    if not anchor or len(anchor) < 32 or anchor == key:
        raise RuntimeError(
            "AUDIT_ANCHOR_KEY is missing, shorter than 32 characters or the SECRET_KEY: "
            "set a random one of its own in the environment (REL-03)."
        )


def _configure_security_log() -> None:
    from studyapp.security_log import UTCFormatter, logger

    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(UTCFormatter())
        logger.addHandler(handler)


def _protocol_version() -> str | None:
    try:
        from studyapp.protocol.loader import get_protocol
    except ImportError:  # pragma: no cover - the protocol package ships with the app
        return None
    return get_protocol().version


def register_extensions(app: Flask) -> None:
    from studyapp import db as dbmod
    from studyapp.audit import capture
    from studyapp.extensions import babel, csrf, db, limiter, login_manager, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.setdefault("connect_args", {"check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            dbmod.configure_sqlite(
                db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["SQLITE_SYNCHRONOUS"]
            )
    migrate.init_app(app, db, directory=str(_root() / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    capture.install()
    login_manager.init_app(app)


def _root() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def _select_locale() -> str:
    from flask import has_request_context
    from flask_login import current_user

    if not has_request_context():
        return "en"
    if current_user and current_user.is_authenticated and current_user.locale:
        return str(current_user.locale)
    if session.get("locale"):
        return str(session["locale"])
    best = request.accept_languages.best_match(["en", "zh"])
    return "zh_Hans" if best == "zh" else "en"


def register_auth(app: Flask) -> None:
    from studyapp.auth.models import User
    from studyapp.extensions import db, login_manager

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        """A session is valid only while its epoch matches the user's (GCP-05)."""
        try:
            raw_id, raw_epoch = user_id.split(":")
            user = db.session.get(User, int(raw_id))
        except ValueError:
            return None
        if user is None or not user.active or user.session_epoch != int(raw_epoch):
            return None
        return user

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return _("Sign in first."), 401

    login_manager.session_protection = None  # the epoch and timeouts do this job


def register_blueprints(app: Flask) -> None:
    import studyapp.monitoring.queries.models
    import studyapp.safety.models
    import studyapp.sequences
    import studyapp.signatures.models
    import studyapp.subjects.models
    import studyapp.visits.assessments.models
    import studyapp.visits.models  # noqa: F401 - models register their tables
    from studyapp.audit.views import bp as audit_bp
    from studyapp.auth.admin_views import bp as admin_bp
    from studyapp.auth.views import bp as auth_bp
    from studyapp.exports import catalogue, jobs  # noqa: F401 - the export job table
    from studyapp.exports.views import bp as exports_bp
    from studyapp.main.views import bp as main_bp
    from studyapp.monitoring.blueprint import bp as monitoring_bp
    from studyapp.monitoring.locks import views as _lock_views  # noqa: F401 - its routes
    from studyapp.monitoring.queries import views as _query_views  # noqa: F401 - its routes
    from studyapp.monitoring.sdv.views import bp as sdv_bp
    from studyapp.monitoring.signoff_views import bp as signoff_bp
    from studyapp.safety import ae_views, runin_views, sae_views  # noqa: F401 - safety routes
    from studyapp.safety.views import bp as safety_bp
    from studyapp.subjects.views import bp as subjects_bp
    from studyapp.visits.blueprint import bp as visits_bp

    catalogue.load()
    blueprints = (main_bp, auth_bp, admin_bp, audit_bp, subjects_bp, visits_bp, safety_bp)
    for bp in (*blueprints, exports_bp, monitoring_bp, signoff_bp, sdv_bp):
        app.register_blueprint(bp)


def register_commands(app: Flask) -> None:
    from studyapp.cli import register

    register(app)
