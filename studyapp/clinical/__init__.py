"""Pure clinical rules: standard library only, no Flask, no SQLAlchemy, no I/O.

Plain values and frozen protocol dataclasses in, plain values out. Modules: ``schedule``
(visit dates, windows, status), ``dosing`` (weight-based dose and checks), ``response`` (ITP
response, IWG 2009), ``grading`` (CTCAE v5.0 lab grades, seriousness, reporting clocks, run-in),
``units`` (lab unit conversion).
"""
