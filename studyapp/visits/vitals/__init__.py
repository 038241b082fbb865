"""Vital signs (VS): the service, the form and the page."""
