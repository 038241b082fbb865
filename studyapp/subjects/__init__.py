"""Subjects: screening log, eligibility, consent, enrolment, the safety run-in gate, disposition."""
