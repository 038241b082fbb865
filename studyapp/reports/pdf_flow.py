"""Long PDFs laid out as they are made: a story read from a generator, long tables a page at a
time.

ReportLab lays a story out from the front of a list: ``BaseDocTemplate.build`` loops while
``len(flowables)``, reads ``flowables[0]`` (and, for ``keepWithNext``, a few after it), deletes
it and puts the pieces of a split flowable back at the front. ``LazyStory`` is such a list
holding only a few flowables ahead, taken from a generator as the layout reaches them, so the
whole story is never in memory. ``RowRun`` is a table whose rows come from an iterator: it
builds a ReportLab table of at most ``CHUNK`` rows at a time (ReportLab measures a whole table
again at each page split) and reads as one table: the header row is shown at its start and at
the top of each page it runs onto, not between its pieces on one page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from reportlab.platypus import Flowable

#: Flowables read ahead of the layout (``keepWithNext`` looks a few items on).
AHEAD = 8
#: Rows of a table laid out at once.
CHUNK = 40

#: Builds a ReportLab table from rows of cells; ``header`` rows at the top are repeated on
#: each page the table splits onto.
MakeTable = Callable[[list[list[Any]], int], Any]


class LazyStory(list[Any]):
    """A story for ``doc.build`` that takes its flowables from *source* as they are needed.

    Only the reads ``build`` makes are topped up: its length (never 0 before the source is
    spent) and items by index or slice; the list itself holds at most ``AHEAD`` flowables
    besides the pieces the layout puts back.
    """

    def __init__(self, source: Iterable[Any]) -> None:
        super().__init__()
        self._source: Iterator[Any] | None = iter(source)

    def _fill(self, count: int) -> None:
        while self._source is not None and super().__len__() < count:
            try:
                self.append(next(self._source))
            except StopIteration:
                self._source = None

    def __len__(self) -> int:
        self._fill(AHEAD)
        return super().__len__()

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int) and index >= 0:
            self._fill(index + 1)
        elif isinstance(index, slice) and index.stop is not None and index.stop >= 0:
            self._fill(index.stop)
        return super().__getitem__(index)


class RowRun(Flowable):  # type: ignore[misc]  # ReportLab is untyped
    """A table of *header* over *rows* (an iterator of cell rows, read once).

    It shows its rows ``CHUNK`` at a time: a piece that fits is drawn and the rest follows it
    without a header; a piece that does not fit is split where the page ends and the rest goes
    on, under the header, on the next page. The header shows at the start and wherever the
    run starts at the top of a frame.
    """

    def __init__(
        self, header: list[Any], rows: Iterator[list[Any]], make: MakeTable, *, first: bool = True
    ) -> None:
        super().__init__()
        self._header = header
        self._rows = rows
        self._make = make
        self._headed = first
        self._held: list[list[Any]] = []
        self._piece: Any = None

    def _at_top(self) -> bool:
        return bool(getattr(getattr(self, "_frame", None), "_atTop", False))

    def _table(self) -> tuple[Any, bool]:
        """The next piece (the held rows, at most ``CHUNK``), and whether rows follow it."""
        headed = self._headed or self._at_top()
        if self._piece is None or headed != self._headed:
            while len(self._held) <= CHUNK:
                row = next(self._rows, None)
                if row is None:
                    break
                self._held.append(row)
            self._headed = headed
            head = [self._header] if headed else []
            self._piece = self._make(head + self._held[:CHUNK], len(head))
        return self._piece, len(self._held) > CHUNK

    def _rest(self, drawn: int) -> RowRun:
        rest = RowRun(self._header, self._rows, self._make, first=False)
        rest._held = self._held[drawn:]
        return rest

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        table, more = self._table()
        if more:  # taller than the room left, so the layout asks for a split (not measured)
            return avail_width, avail_height + 1
        return table.wrap(avail_width, avail_height)

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        table, more = self._table()
        parts = table.split(avail_width, avail_height)
        if not parts:  # not one row fits here: all on the next page, under the header
            self._headed, self._piece = True, None
            return []
        if len(parts) == 1:  # the piece fits: the rest follows it, without a header
            return [table, self._rest(CHUNK)] if more else [table]
        drawn = len(parts[0]._cellvalues) - (1 if self._headed else 0)
        return [parts[0], self._rest(drawn)]

    # ReportLab's names; the frame passes ``_sW`` by keyword.
    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803
        self._piece.drawOn(canvas, x, y, _sW)
