"""Writing a long PDF without holding it in memory.

ReportLab keeps every page of a document, its content uncompressed, until the document is
saved, then builds the whole file as one string before writing it. For a report that grows
with the study, ``Spool.keep`` encodes a shown page's content at once (the filters ReportLab
would apply at save) into a temporary file, and ``save`` writes the document's objects to the
output one by one as it formats them. The bytes are those of ``PDFDocument.SaveToFile``,
whose steps ``save`` follows (ReportLab 5); a document with encryption, signatures or
comments, which the study PDFs do not use, or saved to a file name, is left to ReportLab.
"""

from __future__ import annotations

import tempfile
import weakref
from typing import IO, Any, BinaryIO

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc


class _SpooledStream(pdfdoc.PDFStream):  # type: ignore[misc]  # ReportLab is untyped
    """A page's content stream, encoded, read back from the spool when formatted."""

    __Comment__ = "page stream"

    def __init__(self, spool: IO[bytes], offset: int, length: int, names: list[str]) -> None:
        filters = pdfdoc.PDFArray([pdfdoc.PDFName(name) for name in names])
        self.dictionary = pdfdoc.PDFDictionary({"Filter": filters})
        self.filters = None  # applied already: the dictionary names them
        self._where = (spool, offset, length)

    @property
    def content(self) -> bytes:
        spool, offset, length = self._where
        spool.seek(offset)
        return spool.read(length)


class Spool:
    """A temporary file holding the encoded content of a document's shown pages; closed by
    ``close``, or when the spool is dropped (a layout that failed)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (open while the document is)
        self.close = weakref.finalize(self, self._file.close)

    def keep(self, page: pdfdoc.PDFPage) -> None:
        """Encode *page*'s content into the spool (unless ReportLab is not to compress it)."""
        if not page.compression or page.Contents or page.stream is None:
            return
        filters = [pdfdoc.PDFZCompress]
        if rl_config.useA85:
            filters.insert(0, pdfdoc.PDFBase85Encode)
        content = page.stream
        for encoding in reversed(filters):
            content = encoding.encode(content)
        data = content.encode("latin-1") if isinstance(content, str) else content
        offset = self._file.seek(0, 2)
        self._file.write(data)
        names = [f.pdfname for f in filters]
        page.Contents = _SpooledStream(self._file, offset, len(data), names)
        page.stream = None


class _Writer(pdfdoc.PDFFile):  # type: ignore[misc]
    """ReportLab's output collector, writing to a file instead of collecting."""

    def __init__(self, out: BinaryIO, version: Any) -> None:
        super().__init__(version)
        for text in self.strings:  # the header
            out.write(text)
        self.strings: list[bytes] = []
        self.write = out.write


def save(doc: pdfdoc.PDFDocument, canvas: Any, out: Any) -> None:
    """Write *doc* to *out* (a file object), as ``doc.SaveToFile(out, canvas)`` would."""
    special = doc.encrypt.info() is not None or getattr(doc, "_digiSigs", None)
    if special or rl_config.pdfComments or not hasattr(out, "write"):
        doc.SaveToFile(out, canvas)
        return
    for font in doc.delayedFonts:  # GetPDFData's steps
        font.addObjects(doc)
    doc.info.invariant = doc.invariant
    doc.info.digest(doc.signature)
    doc.Reference(doc.Catalog)
    doc.Reference(doc.info)
    doc.Outlines.prepare(doc, canvas)
    if doc.Outlines.ready < 0:
        doc.Catalog.Outlines = None
    doc._savedToFile = True
    _objects(doc, _Writer(out, doc._pdfVersion))


def _objects(doc: pdfdoc.PDFDocument, writer: _Writer) -> None:
    """``PDFDocument.format``: the objects in number order (formatting one may number new
    ones), the cross-reference table and the trailer, each written once formatted."""
    ids = []
    number = 1
    while number in doc.numberToId:
        oid = doc.numberToId[number]
        formatted = pdfdoc.PDFIndirectObject(oid, doc.idToObject[oid]).format(doc)
        doc.idToOffset[oid] = writer.add(formatted)
        ids.append(oid)
        number += 1
    xref = pdfdoc.PDFCrossReferenceTable()
    xref.addsection(0, ids)
    start = writer.add(xref.format(doc))
    trailer = pdfdoc.PDFTrailer(
        startxref=start,
        Size=len(ids) + 1,
        Root=doc.Reference(doc.Catalog),
        Info=doc.Reference(doc.info),
        Encrypt=None,
        ID=doc.ID(),
    )
    writer.add(trailer.format(doc))
