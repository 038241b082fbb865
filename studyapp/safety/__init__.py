"""Adverse events, SAE clocks and DLTs (issue 6)."""
