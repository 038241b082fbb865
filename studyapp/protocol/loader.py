"""Read and validate the protocol TOML into frozen dataclasses.

``load_protocol(path)`` parses a file; ``get_protocol()`` returns the packaged
``itp_daratumumab.toml``, parsed once. A bad file raises ValueError naming the key path (for
example ``visits[3].window_before``) and what is allowed; unknown keys are rejected too, so a
typo cannot silently fall back to a default. The table reader is ``toml_table``, the
builders of each part ``builders``.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from studyapp.protocol.builders import protocol_from_dict
from studyapp.protocol.model import Protocol

__all__ = ["DEFAULT_PATH", "get_protocol", "load_protocol", "protocol_from_dict"]

DEFAULT_PATH = Path(__file__).with_name("itp_daratumumab.toml")


def load_protocol(path: str | Path | None = None) -> Protocol:
    """Read the protocol TOML at *path* (default: the packaged itp_daratumumab.toml)."""
    file = Path(path) if path is not None else DEFAULT_PATH
    try:
        with file.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{file}: not valid TOML: {exc}") from None
    try:
        return protocol_from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{file.name}: {exc}") from None


@functools.lru_cache(maxsize=1)
def get_protocol() -> Protocol:
    """The packaged protocol, loaded once per process."""
    return load_protocol()
