"""A data query and the messages of its thread; both audited (P11-05, GCP-10)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studyapp.db import AuditedMixin, UTCDateTime
from studyapp.extensions import db

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
STATES = (OPEN, ANSWERED, CLOSED)
#: The kinds of message of a thread, one per step of the query's life.
RAISE, REPLY, ANSWER_BY_CHANGE, CLOSE, REOPEN = "raise", "reply", "answer", "close", "reopen"
#: The first message of a query an edit check raised (an unusual value confirmed at saving).
EDIT_CHECK = "edit_check"
KINDS = (RAISE, EDIT_CHECK, REPLY, ANSWER_BY_CHANGE, CLOSE, REOPEN)


class DataQuery(AuditedMixin, db.Model):
    """A question on a subject, a form of a visit, or one field of it.

    ``visitnum`` is null for a subject-level form (adverse events) or a subject query;
    ``form`` (a ``crf.registry`` code: the first code of its page) is null for a subject query;
    ``field`` (a column of the form's record) is null for a query on the whole form.
    """

    __tablename__ = "data_query"
    __table_args__ = (Index("ix_data_query_subject_state", "subject_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), nullable=False)
    visitnum: Mapped[str | None] = mapped_column(String(10))
    form: Mapped[str | None] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(80))
    #: open -> answered -> closed; a closed or answered query may be re-opened.
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    messages: Mapped[list[QueryMessage]] = relationship(
        back_populates="query", order_by="QueryMessage.id", lazy="raise"
    )

    #: Workflow columns: audited, but a state change is not a correction needing a reason.
    __audit_no_reason__ = frozenset({"state", "closed_by_id", "closed_at"})


class QueryMessage(AuditedMixin, db.Model):
    """One step of a query's thread: who, when (UTC), what kind, and the text."""

    __tablename__ = "query_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("data_query.id"), nullable=False, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)

    query: Mapped[DataQuery] = relationship(back_populates="messages", lazy="raise")

    def audit_subject_id(self) -> int | None:
        return self.query.subject_id if "query" in self.__dict__ else None
