"""The demo study a newcomer clicks through: one account per role (later issues add subjects).

Loading is idempotent: a second run leaves existing accounts as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from studyapp.audit import acting_as
from studyapp.auth import passwords
from studyapp.auth.models import User
from studyapp.auth.permissions import Role
from studyapp.extensions import db

DEMO_MARK = "demo account (no real person)"
#: A fixed secret so the demo data manager's codes can be shown at the console.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPDEMOWANG"  # noqa: S105 - demo only, refused in production


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role


DEMO_USERS = (
    DemoUser("inv.zhang", "Dr Zhang Wei", Role.INVESTIGATOR),
    DemoUser("crc.li", "Li Na", Role.COORDINATOR),
    DemoUser("mon.chen", "Chen Jing", Role.MONITOR),
    DemoUser("dm.wang", "Wang Fang", Role.DATA_MANAGER),
)


def load_demo() -> list[User]:
    """Create the demo accounts that do not exist yet; returns all of them."""
    if current_app.config.get("SESSION_COOKIE_SECURE") and not current_app.testing:
        raise RuntimeError("demo data is refused on a production configuration")
    password = current_app.config["DEMO_PASSWORD"]
    out = []
    with acting_as(None):
        for demo in DEMO_USERS:
            user = db.session.scalar(select(User).where(User.username == demo.username))
            if user is None:
                user = User(
                    username=demo.username,
                    full_name=demo.full_name,
                    role=demo.role.value,
                    password_hash=passwords.hash_password(password),
                    must_change_password=False,
                    identity_verification=DEMO_MARK,
                )
                if demo.role == Role.DATA_MANAGER:
                    user.totp_secret = DEMO_TOTP_SECRET
                    user.totp_enabled = True
                db.session.add(user)
            out.append(user)
        db.session.commit()
    return out


def is_demo(user: User) -> bool:
    return user.identity_verification == DEMO_MARK
