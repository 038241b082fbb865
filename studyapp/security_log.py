"""The security log (SEC-13): UTC, structured, never a password, token or subject datum."""

from __future__ import annotations

import logging
import time

from flask import g, has_request_context, request

logger = logging.getLogger("studyapp.security")


class UTCFormatter(logging.Formatter):
    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__("%(asctime)sZ %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")


def security_event(name: str, **context: object) -> None:
    """Log ``name`` with key=value context (user ids, usernames, IP; no secrets)."""
    if has_request_context():
        context.setdefault("ip", request.remote_addr)
        context.setdefault("request_id", getattr(g, "request_id", None))
    details = " ".join(f"{k}={v}" for k, v in sorted(context.items()) if v is not None)
    logger.warning("%s %s", name, details)
