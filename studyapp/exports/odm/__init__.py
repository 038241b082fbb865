"""CDISC ODM 1.3.2 exports: ``odm`` (metadata and clinical data, a snapshot) and
``odm_audit`` (the same with every audited value, its AuditRecord and the signatures).

The MetaDataVersion is made from the protocol file and the CRF registry (``layout``,
``dictionary``, ``metadata``); the clinical data are streamed subject by subject
(``clinical``, ``writer``); users, the site, signature meanings, audit records and signatures
come from ``trail``. Every file validates against the official schema
(tests/reference/odm-1.3.2) and reads back with odmlib (tests/integration/test_odm_export.py).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from studyapp.exports import registry
from studyapp.exports.odm.writer import write_audit, write_data
from studyapp.permissions import Action

ODM = registry.register(
    registry.Export(
        kind="odm",
        label=_l("CDISC ODM 1.3.2"),
        description=_l("Study metadata and clinical data up to the cut-off, as XML."),
        group="data",
        action=Action.EXPORT_DATA,
        suffix=".xml",
        mimetype="application/xml",
        write=write_data,
        subject=None,
        cutoff=True,
    )
)
ODM_AUDIT = registry.register(
    registry.Export(
        kind="odm_audit",
        label=_l("CDISC ODM 1.3.2 with audit trail and signatures"),
        description=_l(
            "The ODM export with every audited value, who changed it, when (UTC) and why, "
            "and the electronic signatures."
        ),
        group="data",
        action=Action.EXPORT_DATA,
        suffix=".xml",
        mimetype="application/xml",
        write=write_audit,
        subject=None,
        cutoff=True,
    )
)
