"""Data queries in the ``odm_audit`` file as ODM 1.3.2 Annotations (issue 14 item 6).

The schema allows ``Annotation`` (``SeqNum``, at most one ``Comment``, ``Flag``s) in
SubjectData after its AuditRecord, Signature, InvestigatorRef and SiteRef and before the
StudyEventData, and in FormData after its AuditRecord, Signature and ArchiveLayoutRef and
before the ItemGroupData; a Comment is text with ``SponsorOrSite`` only (no author, no time).
So each message of a thread is one Annotation whose Comment says which query, on which item
(its ItemOID), the query's state, the kind of message, its author and its time (UTC, "Z"):
a query on a form page goes in the FormData of the page's first form code at its visit, a
query on the subject in the SubjectData. The monitor's messages are "Sponsor", the site's
"Site". Flags are left out: they would need a code list of their own in the metadata.
Queries and messages after the cut-off are left out, a state is the one of that day.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from studyapp.exports.casebook.asof import AsOf
from studyapp.exports.casebook.monitoring import (
    QueryFact,
    facts_of,
    messages_then,
    state_then,
)
from studyapp.exports.odm.nodes import element, texted
from studyapp.exports.odm.values import utc

#: Messages the site writes (a reply, an answer by a change); the rest are the sponsor's.
SITE_KINDS = frozenset({"reply", "answer"})


class Threads:
    """One subject's queries at the cut-off, read once (``facts_of``), asked per place."""

    def __init__(self, subject_id: int, cutoff: date | None) -> None:
        self.asof = AsOf(cutoff, ())
        facts = facts_of(subject_id)
        self.queries = [q for q in facts.queries if self.asof.happened(q.raised_at)]

    def of(self, visitnum: str | None, form: str | None) -> list[QueryFact]:
        return [q for q in self.queries if (q.visitnum, q.form) == (visitnum, form)]

    def annotate(
        self, parent: etree._Element, at: int, queries: list[QueryFact], oids: dict[str, str]
    ) -> int:
        """Insert one Annotation per message of *queries* into *parent* from child *at* on
        (*oids*: the ItemOID of each field); the number inserted."""
        seq = 0
        for number, query in enumerate(queries, start=1):
            kept = messages_then(query, self.asof)
            state = state_then(query, kept, self.asof)
            on = oids.get(query.field, query.field) if query.field else "the whole form"
            head = f"Query {number} on {on} ({state})" if query.form else f"Query {number}"
            head = f"{head} on the subject ({state})" if not query.form else head
            for message in kept:
                seq += 1
                node = element("Annotation", SeqNum=seq)
                side = "Site" if message.kind in SITE_KINDS else "Sponsor"
                said = f"{head}: {message.kind} by {message.author} at {utc(message.at)}"
                texted(node, "Comment", f"{said}: {message.text}", SponsorOrSite=side)
                parent.insert(at + seq - 1, node)
        return seq
