"""Audit trail: capture by session events, hash chain, viewer.

Features never write audit rows; they inherit ``studyapp.db.AuditedMixin`` and call
``set_reason`` before editing a saved record.
"""

from studyapp.audit.context import Event, acting_as, log_event, set_reason

__all__ = ["Event", "acting_as", "log_event", "set_reason"]
