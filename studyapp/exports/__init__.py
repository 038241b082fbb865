"""Study reports and data exports: the study safety report, casebooks, CSV, CDISC ODM 1.3.2
and SDTM-shaped datasets, and the operational reports.

The top feature: it reads the other features through their services and queries (never a
request) and writes files. ``registry`` lists every kind of file, ``runner`` produces one
(permission, the file, its SHA-256 and the audit event), ``jobs`` runs it for a page with
progress, ``cli`` for a scheduled job. PDF layout lives in ``studyapp.reports``.
"""
