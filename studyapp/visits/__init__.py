"""Visits: the calendar and the visit case report forms (VS, LB, bleeding, EC, CM)."""
