"""Password policy (SEC-02) and hashing (SEC-01): the accept/reject table."""

import pytest

from studyapp.auth import passwords


@pytest.fixture(autouse=True)
def _app_context():
    """Messages are translated, so the policy runs inside an application context."""
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


CASES = [
    # password, mfa, accepted
    ("correct horse battery staple", False, True),
    ("fourteen chars", False, False),  # 14 < 15 single factor
    ("fifteen chars!!", False, True),  # exactly 15
    ("eightchr", True, True),  # exactly 8 with a second factor
    ("sevench", True, False),
    ("x" * 64, False, True),  # 64+ allowed
    ("x" * 128, False, True),
    ("x" * 129, False, False),
    ("所有字符都可以使用包括中文密码短语", False, True),  # any characters
    ("alllowercase no digits at all", False, True),  # no composition rules
    ("password", True, False),  # breached
    ("iloveyou", True, False),  # breached
    ("1234567890", True, False),  # breached
    ("zhangwei2026zhangwei", False, False),  # built on the user's name
    ("inv.zhang.inv.zhang", False, False),  # built on the username
    ("839201746352819", False, True),  # digits only is fine: no composition rules
    ("zhang likes green tea in the morning", False, True),  # a name inside a phrase
]


@pytest.mark.req("SEC-02")
@pytest.mark.parametrize(("password", "mfa", "accepted"), CASES)
def test_policy_table(password, mfa, accepted):
    errors = passwords.policy_errors(password, username="inv.zhang", full_name="Zhang Wei", mfa=mfa)
    assert (errors == []) is accepted, errors


@pytest.mark.req("SEC-02")
def test_breached_list_is_shipped_and_large():
    assert len(passwords.breached_passwords()) > 19000


@pytest.mark.req("SEC-01")
def test_argon2id_with_a_salt_per_hash():
    first, second = (
        passwords.hash_password("same words here"),
        passwords.hash_password("same words here"),
    )
    assert first.startswith("$argon2id$")
    assert first != second
    assert passwords.verify_password(first, "same words here")
    assert not passwords.verify_password(first, "other words here")
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("not a hash", "anything")
    assert not passwords.needs_rehash(first)


def test_unicode_forms_are_normalised():
    stored = passwords.hash_password("café au lait, s'il vous plaît")
    assert passwords.verify_password(stored, "cafe\u0301 au lait, s'il vous plai\u0302t")
