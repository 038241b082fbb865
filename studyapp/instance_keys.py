"""Random keys kept in files of the instance folder, for installs without them in the
environment (``make run``): created once with mode 0600, reused by every later start.

The environment always wins; production refuses to start without its keys (SEC-14).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

#: Config key -> file name in the instance folder.
INSTANCE_KEY_FILES = {"SECRET_KEY": "secret_key", "AUDIT_ANCHOR_KEY": "audit_anchor_key"}
MIN_KEY_LENGTH = 32


def instance_secret(folder: str | os.PathLike[str], name: str) -> str:
    """The key stored in ``folder/name``; a new random one (mode 0600) when there is none.

    The file appears complete or not at all (written aside, then hard-linked into place),
    so two processes starting at once end up with the same key.
    """
    path = Path(folder) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, (secrets.token_urlsafe(48) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            aside.unlink()
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_KEY_LENGTH:
        raise RuntimeError(f"{path} holds no usable key: delete it to get a new one")
    return key


def fill_from_instance(config: Any, folder: str | os.PathLike[str], public: set[str]) -> None:
    """Give every key missing from ``config`` (or set to a ``public`` value) its instance file."""
    for setting, name in INSTANCE_KEY_FILES.items():
        if not config.get(setting) or config[setting] in public:
            config[setting] = instance_secret(folder, name)
