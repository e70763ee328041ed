"""Excel and CSV out: one sheet, a bold header, numbers as numbers.

``xlsx_response`` builds a small workbook in memory (reports of a few hundred rows);
``export_response`` streams a list of any length: CSV row by row (UTF-8 with a BOM, so Excel
opens Chinese text correctly), xlsx as a zip written while the rows are read (``xlsx_stream``), so
a 100,000-row export begins arriving at once and never holds the rows in memory.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation

from .tables import column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def _write_sheet(book: xlsxwriter.Workbook, sheet_name: str, header: Sequence, rows: Iterable[Sequence]) -> None:
    sheet = book.add_worksheet(str(sheet_name)[:31])
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F6"})
    money = book.add_format({"num_format": "#,##0.00"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    # Column layout first: constant-memory mode writes each row out as soon as the next begins.
    sheet.set_column(0, max(len(header) - 1, 0), 16)
    sheet.freeze_panes(1, 0)
    for col, title in enumerate(header):
        sheet.write_string(0, col, str(title), bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, Decimal):
                sheet.write_number(r, c, float(value), money)
            elif isinstance(value, datetime.datetime):
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                sheet.write_datetime(r, c, local.replace(tzinfo=None), stamp)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime(value.year, value.month, value.day), date)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))


def xlsx_bytes(sheet_name: str, header: list, rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    _write_sheet(book, sheet_name, header, rows)
    book.close()
    return buffer.getvalue()


def xlsx_response(filename: str, sheet_name: str, header: list, rows: list[list]) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(sheet_name, header, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Echo:
    """A file that hands back what is written, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def csv_lines(header: Sequence, rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(h) for h in header])
    for row in rows:
        yield writer.writerow([_csv_cell(v) for v in row])


def csv_streaming_response(filename: str, header: Sequence, rows: Iterable[Sequence]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- xlsx written as it streams ------------------------------------------------------------------
# XlsxWriter needs the whole sheet before it can write the zip; a streamed export cannot wait.
# The parts below are the least a workbook needs (Excel, WPS, LibreOffice and python-calamine read
# it): strings inline, one style per kind of cell, the header row bold and frozen.

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '</Relationships>')
# Styles: 0 plain, 1 money, 2 date, 3 date and time, 4 the header.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFEEF2F6"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
    '<cols><col min="1" max="{last}" width="16" customWidth="1"/></cols><sheetData>')
_SHEET_END = "</sheetData></worksheet>"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = datetime.datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date().toordinal()
FLUSH_ROWS = 500


def _xml_text(value: str) -> str:
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NOT_XML.sub("", value)


def _cell(ref: str, value: Any) -> str:
    kind = value.__class__
    if kind is str:
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>' if value else ""
    if kind is Decimal:
        return f'<c r="{ref}" s="1"><v>{value}</v></c>'
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind is int or kind is float:
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if kind is datetime.date:
        return f'<c r="{ref}" s="2"><v>{value.toordinal() - _EPOCH_DAY}</v></c>'
    if kind is datetime.datetime:
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        serial = (local.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="3"><v>{serial!r}</v></c>'
    if value is None:
        return ""
    return _cell(ref, str(value))


class _Pipe(io.RawIOBase):
    """An unseekable file that keeps what is written until it is taken: zipfile then writes each
    member's sizes after its data, so the archive can go out while it is being made."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def xlsx_stream(sheet_name: str, header: Sequence, rows: Iterable[Sequence]) -> Iterator[bytes]:
    """A one-sheet workbook as pieces of bytes, the first before any row is read."""
    pipe = _Pipe()
    name = _xml_text(re.sub(r"[\[\]:*?/\\]", " ", str(sheet_name))[:31] or "Sheet1").replace('"', "&quot;")
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=name))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        letters = [column_letter(i) for i in range(max(len(header), 1))]
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.format(last=len(letters)).encode())
            sheet.write(('<row r="1">' + "".join(
                f'<c r="{letters[c]}1" t="inlineStr" s="4"><is><t xml:space="preserve">{_xml_text(str(title))}</t></is></c>'
                for c, title in enumerate(header)) + "</row>").encode())
            yield pipe.take()
            batch: list[str] = []
            for r, row in enumerate(rows, start=2):
                while len(letters) < len(row):
                    letters.append(column_letter(len(letters)))
                number = str(r)
                batch.append(f'<row r="{number}">' + "".join(
                    [_cell(letters[c] + number, value) for c, value in enumerate(row)]) + "</row>")
                if len(batch) >= FLUSH_ROWS:
                    sheet.write("".join(batch).encode())
                    batch.clear()
                    chunk = pipe.take()
                    if chunk:
                        yield chunk
            sheet.write(("".join(batch) + _SHEET_END).encode())
    yield pipe.take()


def xlsx_streaming_response(filename: str, sheet_name: str, header: Sequence,
                            rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """A workbook of any length, sent while its rows are read (``xlsx_stream``)."""
    response = StreamingHttpResponse(xlsx_stream(sheet_name, header, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _in_language(language: str | None, rows: Iterable[Sequence]) -> Iterator[Sequence]:
    """The rows are read while the response streams, after the view has returned: in the
    language of the request, whatever the serving thread has active by then."""
    with translation.override(language):
        yield from rows


def export_response(fmt: str, basename: str, sheet_name: str, header: Sequence,
                    rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """``basename-YYYYMMDD.csv`` or ``.xlsx`` of the rows; ``fmt`` is one of ``FORMATS``."""
    filename = f"{basename}-{timezone.localdate():%Y%m%d}.{fmt}"
    rows = _in_language(translation.get_language(), rows)
    if fmt == "xlsx":
        return xlsx_streaming_response(filename, sheet_name, header, rows)
    return csv_streaming_response(filename, header, rows)
