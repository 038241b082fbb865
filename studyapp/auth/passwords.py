"""Password hashing and policy (SEC-01, SEC-02; NIST SP 800-63B-4 section 3.1.1).

Length is the rule: 15 characters when the password is the only factor, 8 with a second
factor, up to 128 accepted; any characters; no composition rules and no expiry. A
password on the shipped breached list, or built on the user's own names, is refused.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from contextlib import suppress
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

from studyapp.protocol.loader import get_protocol

MIN_SINGLE_FACTOR = 15
MIN_WITH_MFA = 8
MAX_LENGTH = 128

#: argon2id parameters when no app says otherwise: the library's RFC 9106 "low memory"
#: profile. The app's ``PASSWORD_HASH`` setting overrides them (cheap under Testing).
DEFAULT_PARAMETERS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """An argon2id hasher (a per-hash random salt) and a dummy hash made with it."""
    made = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return made, made.hash("dummy password for timing")


def _current() -> tuple[PasswordHasher, str]:
    parameters = DEFAULT_PARAMETERS
    if has_app_context():
        parameters = current_app.config.get("PASSWORD_HASH") or DEFAULT_PARAMETERS
    return _hasher_for(**parameters)


def normalise(password: str) -> str:
    """NFKC, as SP 800-63B-4 asks, so the same password typed two ways matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _current()[0].hash(normalise(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    hasher, dummy = _current()
    if not stored_hash:
        # Compared against when the username is unknown, so timing does not reveal it.
        with suppress(VerificationError):
            hasher.verify(dummy, normalise(password) + "x")
        return False
    try:
        return hasher.verify(stored_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _current()[0].check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def breached_passwords() -> frozenset[str]:
    data = resources.files("studyapp.auth").joinpath("data/common-passwords.txt.gz")
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _context_words(username: str, full_name: str) -> list[str]:
    """The username, the person's names (apart and joined) and the service's own words."""
    names = full_name.replace("-", " ").split()
    words = {username, *re.split(r"[._-]", username), *names, "".join(names)}
    words.update({"studyapp", get_protocol().dosing.drug, "password"})
    return sorted((w.lower() for w in words if len(w) >= 3), key=len, reverse=True)


def _mostly_context(password: str, username: str, full_name: str) -> bool:
    """True when little but context words, digits and punctuation is left of it."""
    lowered = password.lower()
    rest = lowered
    for word in _context_words(username, full_name):
        rest = rest.replace(word, "")
    return rest != lowered and len(re.sub(r"[\W\d_]", "", rest)) < 4


def policy_errors(password: str, *, username: str, full_name: str, mfa: bool) -> list[str]:
    """Why ``password`` is refused, as messages for the form; empty when it is accepted."""
    pw = normalise(password)
    minimum = MIN_WITH_MFA if mfa else MIN_SINGLE_FACTOR
    errors: list[str] = []
    if len(pw) < minimum:
        errors.append(
            _(
                "Use at least %(n)d characters (a passphrase of several words is easiest).",
                n=minimum,
            )
        )
    if len(pw) > MAX_LENGTH:
        errors.append(_("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = pw.lower()
    if lowered in breached_passwords():
        errors.append(_("This password appears in lists of breached passwords; choose another."))
    if _mostly_context(pw, username, full_name):
        errors.append(_("The password must not be built on your name or username."))
    return errors
