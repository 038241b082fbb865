"""Source data verification (issue 14, item 2).

The protocol file's SDV plan (``[monitoring.sdv] full``) names the form codes a monitor
verifies at 100 %; the registry entry of each code names its fields (``sdv_fields``).

- ``models``: ``SdvMark``, one verified field of one CRF record (audited);
- ``scope``: which forms, records and fields the plan covers;
- ``services``: verify a field, a form or a visit; a later change clears a verification
  (the answer to ``crf.save.record_changed``);
- ``progress``: the monitor dashboard's numbers, in a fixed number of queries;
- ``views``: the controls on the form and visit pages and the dashboard.
"""
