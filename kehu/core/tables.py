"""Rows out of .xlsx, .xls, .ods (python-calamine) and .csv (UTF-8 with or without BOM, GBK/GB18030,
UTF-16 with BOM), for the imports and any page that reads a table from a file.

A ``Table`` gives the header (the row that names the most known columns among the first rows,
merged header cells filled in) and then the data rows one at a time with their row numbers as the
spreadsheet shows them; blank rows and total rows (合计, 总计, 小计, Total) are left out.
"""

import codecs
import csv
import io
import itertools
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from .text import cell_text as text

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
SUFFIXES = EXCEL_SUFFIXES | {".csv", ".txt"}
HEADER_SCAN = 10
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计|共\s*计|total|grand total|subtotal|sum)\b", re.IGNORECASE)


class ReadError(Exception):
    """The file cannot be read as a table; the message is for the user."""


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def is_total_row(values: list[Any]) -> bool:
    for value in values:
        if value is None or value == "":
            continue
        return isinstance(value, str) and bool(_TOTAL.match(text(value)))
    return False


def is_blank_row(values: list[Any]) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


@dataclass
class Table:
    header: list[str]
    header_row: int  # 1-based
    first_column: int  # 0-based column of the first cell (for column letters)
    rows: Iterator[tuple[int, list[Any]]]
    total_rows: int | None = None  # an estimate of data rows, for the progress bar
    letters: list[str] = field(default_factory=list)


SNIFF_BYTES = 1 << 20  # the encoding is judged on the first megabyte


def _csv_encoding(head: bytes) -> str:
    """UTF-16 when the file starts with its BOM (Excel's "Unicode text"), UTF-8 (with or without BOM)
    when the file's first megabyte is UTF-8, else GB18030 (a superset of GBK, which Chinese Excel writes)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            sample = codecs.getincrementaldecoder("utf-16")().decode(head, final=False)
        except UnicodeDecodeError:
            sample = ""
        # Any two bytes are a UTF-16 character: text is told from noise by its line breaks or separators.
        if "\x00" not in sample and any(c in sample for c in "\n,;\t"):
            return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)  # a character cut at the end is fine
            return encoding
        except UnicodeDecodeError:
            continue
    raise ReadError(_("The CSV file is neither UTF-8 nor GBK text."))


def _csv_rows(stream: BinaryIO, encoding: str, sample: str) -> Iterator[list[Any]]:
    """Rows decoded and split as they are read: the file is never held whole in memory."""
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    text_stream = io.TextIOWrapper(stream, encoding=encoding, newline="")
    number = 0
    try:
        # A NUL some exports leave in a cell is no text: PostgreSQL refuses it in any text column.
        lines = (line.replace("\x00", "") for line in text_stream)
        for number, row in enumerate(csv.reader(lines, dialect), start=1):  # noqa: B007
            yield row
    except UnicodeDecodeError:
        name = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16"}.get(encoding, "GBK")
        raise ReadError(_("After row %(row)d the CSV file is no longer %(encoding)s text; save it again in one encoding.")
                        % {"row": number, "encoding": name}) from None
    except csv.Error as exc:
        raise ReadError(_("Row %(row)d of the CSV file cannot be read: %(error)s") % {"row": number + 1, "error": exc}) from None
    finally:
        text_stream.close()


def _open_csv(source: Path | bytes) -> tuple[Iterator[list[Any]], int]:
    """The rows of a CSV file and an estimate of how many there are (for the progress bar)."""
    stream: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    try:
        encoding = _csv_encoding(head)
    except ReadError:
        stream.close()
        raise
    sample = codecs.getincrementaldecoder(encoding)(errors="ignore").decode(head[:16384])
    lines = head.count(b"\n") + 1
    estimate = lines if len(head) >= size else int(lines * size / max(len(head), 1))
    return _csv_rows(stream, encoding, sample), estimate


PROBE_MEMORY = 2 << 30  # bytes a child process may take to open a spreadsheet
# The child caps its own memory before it opens the file (no code runs between fork and exec in a
# server with threads).
_PROBE = """
import sys
try:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
except (ImportError, ValueError, OSError):
    pass
import python_calamine
python_calamine.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0)
"""


def _probe(source: Path | bytes, suffix: str) -> None:
    """Open a spreadsheet in a child process with capped memory first. On some damaged .xls files, and
    on any sheet with one cell in use far below or right of its data (XFD1048576), calamine asks for
    terabytes and aborts the whole process, which no ``except`` can catch: the child dies instead of
    the server."""
    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
            tmp.write(source)
            tmp.flush()
            _probe(Path(tmp.name), suffix)
        return
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, str(source), str(PROBE_MEMORY)], capture_output=True,
                              timeout=120)
    except subprocess.TimeoutExpired:
        done = None
    if done is not None and b"memory allocation" in done.stderr:
        raise ReadError(_("The first sheet is too large to open: a cell far below or to the right of the data may be "
                          "in use. Delete the empty rows and columns after the data, save the file again and upload that."))
    if done is None or done.returncode != 0:
        raise ReadError(_("The file is damaged or cut short: open it in Excel or WPS, save it again and upload that."))


def _excel_rows(source: Path | bytes, merged_out: list, suffix: str = "") -> tuple[Iterator[list[Any]], int, int]:
    import python_calamine

    if isinstance(source, bytes):
        head = source[:512]
    else:
        with open(source, "rb") as file:
            head = file.read(512)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":  # what many Chinese systems export as .xls is a web page
        raise ReadError(_("This file is a web page (HTML) under a spreadsheet's name, as some systems export. "
                          "Open it in Excel or WPS, save it as .xlsx and upload that."))
    _probe(source, suffix)
    try:
        if isinstance(source, bytes):
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
        else:
            book = python_calamine.CalamineWorkbook.from_path(str(source))
        sheet = book.get_sheet_by_index(0)
        merged_out.extend(sheet.merged_cell_ranges or [])  # None for .ods: calamine keeps no merges there
    except BaseException as exc:
        # calamine raises its own error types, all meaning "not readable"; on some damaged files
        # (a cut-short .xls) it panics, and pyo3's PanicException is a BaseException.
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        if not isinstance(exc, Exception):
            raise ReadError(_("The file is damaged or cut short: open it in Excel or WPS, save it again and upload that.")) from None
        raise ReadError(_("The file cannot be read as a spreadsheet: %(error)s") % {"error": exc}) from None
    start = sheet.start or (0, 0)
    # iter_rows starts at the sheet's first row (A1's row) but at its first used column.
    return iter(sheet.iter_rows()), start[1], sheet.height


def _score(header: list[str], known: Callable[[str], bool]) -> int:
    return sum(1 for h in header if h and known(h))


def open_table(name: str, source: Path | bytes, *, known: Callable[[str], bool] = lambda h: False) -> Table:
    """Open a file by its name's suffix; ``known(header_text)`` tells whether a header names a field."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ReadError(_("Kehu reads .xlsx, .xls, .ods and .csv files, not “%(suffix)s”.") % {"suffix": suffix or name})
    merged: list = []
    if suffix in EXCEL_SUFFIXES:
        raw_rows, first_column, height = _excel_rows(source, merged, suffix)
    else:
        raw_rows, height = _open_csv(source)
        first_column = 0

    numbered = ((number, list(values)) for number, values in enumerate(raw_rows, start=1))
    head: list[tuple[int, list[Any]]] = []
    for number, values in numbered:
        if is_blank_row(values):
            continue
        head.append((number, values))
        if len(head) >= HEADER_SCAN:
            break
    if not head:
        raise ReadError(_("The file has no rows."))

    def filled(number: int, values: list[Any]) -> list[str]:
        cells = [text(v) for v in values]
        for (r0, c0), (r1, c1) in merged:  # merged header cells: the value covers the whole range
            if r0 + 1 <= number <= r1 + 1:
                source_row = next((v for n, v in head if n == r0 + 1), None)
                value = text(source_row[c0 - first_column]) if source_row and 0 <= c0 - first_column < len(source_row) else ""
                for c in range(c0, c1 + 1):
                    i = c - first_column
                    if 0 <= i < len(cells) and not cells[i]:
                        cells[i] = value
        return cells

    header_rows = [(n, filled(n, v)) for n, v in head]
    # A blank header cell under a merged or multi-row heading takes the heading above it. Each row is
    # scored so filled, as it would be read: a second header row (电话, 联系人 under 联系方式) then
    # wins even where the file keeps no merges (.ods, .csv) and its first cells are blank.
    stacked: list[list[str]] = []
    for i, (_n, cells) in enumerate(header_rows):
        for _above, upper in reversed(header_rows[:i]):
            cells = [h or (upper[j] if j < len(upper) else "") for j, h in enumerate(cells)]
        stacked.append(cells)
    best = max(range(len(stacked)), key=lambda i: (_score(stacked[i], known), -i))
    if _score(stacked[best], known) == 0:
        best = 0
    header_number, header = header_rows[best][0], stacked[best]
    width = len(header)
    leftover = [(n, v) for n, v in head if n > header_number]
    header_cells = [text(v) for v in next(v for n, v in head if n == header_number)]

    def data_rows() -> Iterator[tuple[int, list[Any]]]:
        for number, values in itertools.chain(leftover, numbered):
            if is_blank_row(values) or is_total_row(values):
                continue
            if (len(values) == len(header_cells) and values and text(values[0]) == header_cells[0]
                    and [text(v) for v in values] == header_cells):
                continue  # the header again (each page of a printed report repeats it)
            if len(values) < width:
                values = values + [""] * (width - len(values))
            yield number, values

    return Table(
        header=header,
        header_row=header_number,
        first_column=first_column,
        rows=data_rows(),
        total_rows=max(height - header_number, 0) if height else None,
        letters=[column_letter(first_column + i) for i in range(width)],
    )
