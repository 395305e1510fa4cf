"""A CSV reader that keeps going past undecodable bytes and broken lines.

The fast path is pandas' C parser. When it stops (a byte that is not UTF-8, a line with more
fields than the header, e.g. a line cut and merged with the next) or leaves a field missing
(a line with fewer fields), the file is read again record by record with Python's ``csv``
module: every record becomes a row; a broken record keeps the fields it has (cut or padded to
the header) and gets two extra columns, :data:`LINE_ERROR` (the reason, with the line number
in the file) and :data:`LINE_TEXT` (the raw text, undecodable bytes shown as ``\\xNN``).
Validation quarantines those rows (:func:`risk.validation.table.parse_table`), so counts
reconcile: rows read = kept + quarantined.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

LINE_ERROR = "_line_error"
LINE_TEXT = "_line"
LINE_COLUMNS = (LINE_ERROR, LINE_TEXT)
_TEXT_LIMIT = 300


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV file as text columns (nothing guessed); broken records are flagged, not fatal.

    Raises:
        UnicodeDecodeError, ValueError, OSError: only from the header line, or an empty file.
    """
    try:
        frame = pd.read_csv(
            path, dtype="str", keep_default_na=False, na_values=[], encoding="utf-8-sig"
        )
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        logger.warning("%s: %s; reading it line by line", path, exc)
        return read_tolerant(path)
    if not isinstance(frame.index, pd.RangeIndex):  # the first row had more fields: pandas
        logger.warning("%s: the first row has more fields than the header", path)  # made an index
        return read_tolerant(path)
    if frame.isna().to_numpy().any() or not _fields_match_header(path.read_bytes()):
        # a line with fewer fields: pandas pads it with empty values, which look like real ones
        logger.warning("%s: a line has fewer fields than the header; reading it line by line", path)
        return read_tolerant(path)
    return frame


def _fields_match_header(raw: bytes) -> bool:
    """Whether every non-blank line has as many fields as the header.

    Without quotes the commas are counted per line, vectorised; with quotes (a field may hold
    a comma or a line break) the records are counted by Python's ``csv`` module.
    """
    if b'"' in raw:
        text = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
        records = csv.reader(io.StringIO(text, newline=""))
        width = len(next(records, []))
        return all(len(record) in (0, width) for record in records)
    data = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    if len(data) and data[-1] != ord("\n"):  # a last line without its line break
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    commas = np.concatenate(([0], np.cumsum(data == ord(","))))
    per_line = commas[ends] - commas[starts]
    content = (ends - starts) - (data[np.maximum(ends - 1, 0)] == ord("\r"))  # minus a \r
    content[ends == starts] = 0
    blank = content <= 0
    return bool(np.all(blank[1:] | (per_line[1:] == per_line[0])))


def _shown(text: str) -> str:
    """Raw text with undecodable bytes (surrogate escapes) written as ``\\xNN``."""
    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return shown[:_TEXT_LIMIT]


def _undecodable(text: str) -> str | None:
    for position, char in enumerate(text):
        if "\udc80" <= char <= "\udcff":
            return f"byte 0x{ord(char) - 0xDC00:02X} at character {position + 1} is not UTF-8"
    return None


def read_tolerant(path: Path) -> pd.DataFrame:
    """Read a CSV file record by record, flagging undecodable and malformed records.

    Returns:
        Text columns of the header, plus :data:`LINE_ERROR` and :data:`LINE_TEXT` ("" on
        good rows).
    """
    raw = path.read_bytes()
    text = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    width = len(header)
    rows: list[list[str]] = []
    errors: list[str] = []
    texts: list[str] = []
    previous_line = reader.line_num
    for record in reader:
        first, last = previous_line + 1, reader.line_num
        previous_line = last
        if not record:  # a blank line
            continue
        source = "".join(lines[first - 1 : last])
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        problem = _undecodable(source)
        if problem is None and len(record) != width:
            problem = (
                f"{len(record)} fields where the header has {width} "
                "(a line cut short, or merged with the next one)"
            )
        if problem is None:
            rows.append(record)
            errors.append("")
            texts.append("")
            continue
        fields = [_shown(v) for v in record[:width]] + [""] * max(width - len(record), 0)
        rows.append(fields)
        errors.append(f"{where}: {problem}")
        texts.append(_shown(source.rstrip("\r\n")))
    frame = pd.DataFrame(rows, columns=header, dtype="str")
    frame[LINE_ERROR] = pd.Series(errors, dtype="str")
    frame[LINE_TEXT] = pd.Series(texts, dtype="str")
    logger.warning("%s: %d broken record(s) flagged for quarantine", path, sum(map(bool, errors)))
    return frame
