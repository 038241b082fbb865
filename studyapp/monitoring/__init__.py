"""Monitoring: what a monitor and a data manager do to the data the site entered.

Built on the CRF core (``studyapp.crf``: the registry of form codes, the record status and the
one "may this actor change this record now" check), the audit trail, the version rule and the
signature service. Each part is a module of its own:

- ``locks``: freeze and lock a form, a visit, a subject or the whole study (issue 14, item 4);
- ``queries``: data queries on a field, a form or a subject, and their threads (item 1);
- ``sdv``: source data verification of a field, a form or a visit per the protocol's SDV
  plan, cleared by a later change; the monitor's progress dashboard (item 2).
"""
