"""The chunks of one build: chunks.jsonl (one Chunk a line) and chunks.npz (where each line starts).

ChunkTable reads them on demand; write_chunks writes both for a build being written.
"""

from __future__ import annotations

import json
import mmap
import os
from dataclasses import asdict
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from rag.errors import IndexCorrupt
from rag.records import Chunk

CHUNKS = "chunks.jsonl"
CHUNK_TABLE = "chunks.npz"


class ChunkTable(Sequence):
    """chunks.jsonl behind a memory map: chunk i is parsed from line i when it is asked for.

    A list of 10^6 Chunk objects takes seconds to read and gigabytes to hold; the table holds
    12 bytes a chunk (line offset, report number), and a search reads only the chunks it returns.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as f:
                self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(f.fileno()).st_size else b""
        except FileNotFoundError:
            raise IndexCorrupt(f"{path} is missing: run `rag index --rebuild`") from None
        try:
            with np.load(path.with_name(CHUNK_TABLE)) as table:
                self._offsets, self.report_of_row = table["offsets"], table["report"]
                self.report_ids = table["report_ids"].tolist()
        except FileNotFoundError:  # a build from before chunks.npz: read every line once
            self._offsets, self.report_of_row, self.report_ids = _scan_chunks(self._data, path)
        except (OSError, ValueError, KeyError):
            raise IndexCorrupt(f"{path.with_name(CHUNK_TABLE)} is corrupt: run `rag index --rebuild`") from None
        if self._offsets[-1] != len(self._data):
            raise IndexCorrupt(f"{path} is corrupt: run `rag index --rebuild`")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return _parse_chunk(self._data[self._offsets[i] : self._offsets[i + 1]], self.path)

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))

    def report_rows(self) -> dict[str, np.ndarray]:
        """report_id -> its rows, ascending."""
        order = np.argsort(self.report_of_row, kind="stable")
        bounds = np.searchsorted(self.report_of_row[order], np.arange(len(self.report_ids) + 1))
        return {rid: order[bounds[n] : bounds[n + 1]] for n, rid in enumerate(self.report_ids)}


def _parse_chunk(line: bytes, path: Path) -> Chunk:
    try:
        row = json.loads(line)
        return Chunk(**{
            **row,
            "headings": tuple(row["headings"]),
            "pages": tuple(row.get("pages", ())),
            "ocr_doubtful": tuple(tuple(span) for span in row.get("ocr_doubtful", ())),
        })
    except (ValueError, TypeError, KeyError):
        raise IndexCorrupt(f"{path} is corrupt: run `rag index --rebuild`") from None


def _scan_chunks(data, path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    offsets, reports = [0], []
    for line in bytes(data).splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
        reports.append(_parse_chunk(line, path).report_id)
    report_ids = sorted(set(reports))
    number = {rid: n for n, rid in enumerate(report_ids)}
    return np.array(offsets, dtype=np.int64), np.array([number[r] for r in reports], dtype=np.int32), report_ids


def write_chunks(chunks: Sequence[Chunk], build_dir: Path) -> None:
    """chunks.jsonl and chunks.npz, its line offsets and each chunk's report number."""
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    report_ids = sorted({c.report_id for c in chunks})
    number = {rid: n for n, rid in enumerate(report_ids)}
    reports = np.zeros(len(chunks), dtype=np.int32)
    with open(build_dir / CHUNKS, "wb") as out:
        for i, chunk in enumerate(chunks):
            line = (json.dumps(asdict(chunk), ensure_ascii=False) + "\n").encode("utf-8")
            out.write(line)
            offsets[i + 1] = offsets[i] + len(line)
            reports[i] = number[chunk.report_id]
    with open(build_dir / CHUNK_TABLE, "wb") as out:
        np.savez(out, offsets=offsets, report=reports, report_ids=np.array(report_ids, dtype=str))
