"""Data queries on a field, a form or a subject, and their threads (issue 14, item 1).

A monitor or a data manager raises a query; the site answers it by a reply or by changing the
queried field (``answers``: filled in by the CRF core's save through a hook); the monitor or
data manager closes it, or re-opens it. Every step is a ``QueryMessage`` (audited).
"""
