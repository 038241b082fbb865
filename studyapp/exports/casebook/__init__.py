"""The subject casebook (issue 13, P11-02, P11-13): every page and form of one subject with
values, units, status, confirmed warnings and signatures, then the subject's audit trail.

- ``labels``: the readable name of each column (the form's label), for values and the trail;
- ``asof``: the data as it stood at the end of the cut-off day (records and values);
- ``values``: how a stored value is written;
- ``pages`` and ``visits``: the records of the subject's own pages and of each visit;
- ``trail``: the subject's audit rows;
- ``monitoring``: each record's lock, SDV marks and query threads at the cut-off (issue 14),
  read through a hook answered by ``studyapp.monitoring.casebook``;
- ``build``: the ``Casebook`` of one subject, handed to ``reports.casebook_pdf``;
- ``kinds``: the two kinds registered (``casebook`` and ``casebooks``, a zip).
"""
