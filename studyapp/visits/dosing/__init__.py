"""Dosing (EC, PREMED): the save, the edit checks, the form and the page.

The planned dose is computed in ``studyapp.visits.dosing.plan``."""
