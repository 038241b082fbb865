"""One SAS XPORT version 5 file from the files pyreadstat wrote for consecutive chunks of rows.

The layout (SAS technical support document TS-140, "The record layout of a data set in SAS
transport (XPORT) format"): the file is a sequence of 80-byte records,

- the library header record and two records (SAS version, operating system, times written);
- the member header record (its last digits: the NAMESTR length, 140), the descriptor header
  record and two records (dataset name and label, times written);
- the NAMESTR header record (``HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000nnnn...``,
  nnnn the number of variables), then one 140-byte NAMESTR per variable, back to back, the last
  record filled up to 80 bytes. A NAMESTR holds, big-endian: ``ntype`` (short: 1 numeric,
  2 character), ``nhfun``, ``nlng`` (short: the variable's length in an observation),
  ``nvar0``, ``nname`` (8), ``nlabel`` (40), the formats, ``npos`` (long: its offset in an
  observation) and filler;
- the OBS header record (``HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000...``), then the
  observations: each the variables' values at their offsets, character values blank-padded to
  their length, numbers as 8-byte IBM floats; nothing between two observations; after the last
  one, ASCII blanks up to a multiple of 80 bytes.

No count of observations is stored (a reader derives it from the file's size), so two files with
the same header and NAMESTR records join into one by putting the observations of the second
after those of the first: the first file up to its OBS header record, every chunk's observation
bytes (rows x the sum of ``nlng``), then the blank padding. The NAMESTR records of every chunk
must be byte-identical to the first's (same names, labels, types, lengths and offsets), or the
observations would not line up: ``Splice.append`` checks it. The joined file is byte for byte
what pyreadstat writes for all the rows at once, the times in its header records aside.

The padding is ambiguous in the format itself: when an observation is shorter than 80 bytes,
a last observation made only of blanks looks like padding (pyreadstat then reads one row
fewer, pandas may not). The joined file has the same bytes as a single write, so readers see
the same rows; an SDTM row is never blank (STUDYID is always filled in).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

RECORD = 80
NAMESTR_LENGTH = 140
_BANG = b"HEADER RECORD!!!!!!!"
MEMBER_HEADER = b"HEADER RECORD*******MEMBER  " + _BANG
NAMESTR_HEADER = b"HEADER RECORD*******NAMESTR " + _BANG
OBS_HEADER = b"HEADER RECORD*******OBS     " + _BANG + b"0" * 30 + b"  "
#: Copy the observations in blocks of this many bytes (never a whole chunk in memory).
BLOCK = 1 << 20


class SpliceError(ValueError):
    """A chunk cannot be joined: not an XPT v5 file, other variables, or other row count."""


def padding(size: int) -> int:
    """The blanks after *size* bytes of observations, up to a multiple of 80 bytes."""
    return -size % RECORD


@dataclass(frozen=True)
class Layout:
    """What a chunk's header says: its records up to the OBS header, and the row length."""

    head: bytes
    namestr: bytes
    row_length: int

    def size(self, rows: int) -> int:
        """The bytes of the whole file holding *rows* observations."""
        data = rows * self.row_length
        return len(self.head) + data + padding(data)


def read_layout(chunk: BinaryIO) -> Layout:
    """The header of the XPT v5 file *chunk*, read up to its OBS header record (left there)."""
    records: list[bytes] = []
    while not records or records[-1] != OBS_HEADER:
        record = chunk.read(RECORD)
        if len(record) < RECORD:
            raise SpliceError("no OBS header record: not an XPT v5 file")
        records.append(record)
    starts = [i for i, r in enumerate(records) if r.startswith((MEMBER_HEADER, NAMESTR_HEADER))]
    if len(starts) != 2 or records[starts[0]][74:78] != b"%04d" % NAMESTR_LENGTH:
        raise SpliceError("one member with 140-byte NAMESTR records expected")
    count = int(records[starts[1]][54:58])
    namestr = b"".join(records[starts[1] + 1 : -1])
    if len(namestr) != count * NAMESTR_LENGTH + padding(count * NAMESTR_LENGTH):
        raise SpliceError(f"{count} NAMESTR records expected")
    lengths = [struct.unpack_from(">h", namestr, i * NAMESTR_LENGTH + 4)[0] for i in range(count)]
    return Layout(b"".join(records), namestr, sum(lengths))


class Splice:
    """Writes one XPT v5 file of *rows* observations to *out* from chunk files in order.

    The header comes from *layout*, the first chunk's; each chunk's observations are copied
    after the previous ones, then ``close`` pads the last record with blanks.
    """

    def __init__(self, out: BinaryIO, layout: Layout, rows: int) -> None:
        self.out, self.layout, self.rows, self.written = out, layout, rows, 0
        out.write(layout.head)

    def append(self, chunk: BinaryIO, rows: int) -> None:
        """Copy the *rows* observations of the XPT v5 file *chunk* (read from its start)."""
        if read_layout(chunk).namestr != self.layout.namestr:
            raise SpliceError("a chunk's NAMESTR records differ from the first chunk's")
        left = rows * self.layout.row_length
        while left:
            block = chunk.read(min(left, BLOCK))
            if not block:
                raise SpliceError(f"a chunk holds fewer than {rows} observations")
            self.out.write(block)
            left -= len(block)
        if chunk.read(RECORD) != b" " * padding(rows * self.layout.row_length):
            raise SpliceError(f"a chunk holds more than {rows} observations")
        self.written += rows

    def close(self) -> None:
        """Pad the last record with blanks to 80 bytes (TS-140) once every row is written."""
        if self.written != self.rows:
            raise SpliceError(f"{self.written} observations written, {self.rows} expected")
        self.out.write(b" " * padding(self.rows * self.layout.row_length))
