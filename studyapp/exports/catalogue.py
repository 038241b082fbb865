"""Every kind of report and export, registered once: importing this module fills the registry.

One line per module that registers kinds (each calls ``registry.register`` at import).
"""

from __future__ import annotations

import importlib

MODULES: tuple[str, ...] = ("studyapp.exports.casebook.kinds",)


def load() -> None:
    for name in MODULES:
        importlib.import_module(name)
