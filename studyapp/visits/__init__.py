"""Visits: the calendar and the visit case report forms (VS, LB, bleeding, EC, CM).

One folder per form, each with its ``service`` (the save and what the page reads), ``forms``
and ``views``: ``vitals/``, ``labs/`` (also ``readings``: a value read and graded;
``findings``: the grades that ask for an AE), ``bleeding/``, ``dosing/`` (also ``checks``: the
dose's edit checks; the planned dose is ``dosing/plan.py``), ``medications/``. ``schedule/`` is the
visit calendar, the casebook and visit pages and the study-wide ``tracker``. Shared by them:
``models`` (every visit table), ``context`` (the visit a form belongs to), ``fields`` (field
builders), ``pages`` (the one "visits" blueprint and page helpers), ``summary`` (what the
subject page shows); ``blueprint`` loads every page's routes.
"""
