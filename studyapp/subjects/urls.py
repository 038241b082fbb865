"""The address of a subject's pages, shared by every feature that adds pages under it.

A plain constant outside any view module, so safety (adverse events) and visits build their
routes on it without importing each other's views.
"""

from __future__ import annotations

#: /subjects/<id>: the prefix of every page about one subject.
SUBJECT = "/subjects/<int(max=2147483647):subject_id>"
