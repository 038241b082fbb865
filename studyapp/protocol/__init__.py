"""The study protocol as data.

``studyapp.protocol.model`` holds the frozen dataclasses (pure, importable from
``studyapp.clinical``; their parts are in ``schedule``, ``dosing``, ``measures``, ``criteria``
and ``safety``); ``studyapp.protocol.loader`` reads ``itp_daratumumab.toml``
(``load_protocol(path)``, ``get_protocol()``). The loader is not imported here so that importing
the model never triggers file I/O.
"""
