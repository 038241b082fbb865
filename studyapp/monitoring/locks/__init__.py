"""Freeze and lock (issue 14, item 4): a data manager freezes (queries go on, data changes do
not) or locks (no change at all) a form, a visit, a subject or the whole study.

- ``models``: ``DataLock``, one row per freeze or lock set, released with a reason (audited);
- ``services``: set, release, ``state_of`` a place, and the answer to ``crf.status.closure_at``,
  through which the CRF core refuses every change of covered data;
- ``forms`` and ``views``: the pages (``/monitoring/locks``).
"""
