"""Bleeding assessment (XB): the service, the form and the page."""
