"""Operational reports: enrolment over time against the target, visit compliance per visit
and forms missing per visit, on the page (``exports.operations_views``) and as audited CSV
files (``kinds``).

Each report reads the features' own answers: the subjects as the dashboard counts them, the
visit statuses of the visit tracker (``visits.schedule.tracker``), the form statuses of the
visit page (``visits.summary``) and the forms each visit requires (the protocol and
``crf.registry``). A few queries per report, never one per subject.
"""
