"""What every case report form shares, below the features that own the forms.

- ``registry``: one entry per form code of the protocol (page, models, SDTM domain, SDV fields);
- ``status``: the record statuses and the one "may this actor change this record now" check;
- ``models``: ``CrfMixin``, the columns every CRF row has;
- ``forms``: ``CrfForm``, the fields every CRF page has;
- ``checks``: ``EditChecks`` and ``NeedsConfirmation``;
- ``save``: the one save sequence every form goes through (and the one removal).

Features (visits, safety) import this package; it never imports them (the registry names
their models by import path and resolves them when asked).
"""
