"""Excel and CSV out: one sheet, a bold header, numbers as numbers.

``xlsx_response`` builds a small workbook in memory (reports of a few hundred rows);
``export_response`` streams a list of any length: CSV row by row (UTF-8 with a BOM, so Excel
opens Chinese text correctly), xlsx through XlsxWriter's constant-memory mode into a temporary
file, so a 100,000-row export never holds the rows in memory.
"""

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

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


def xlsx_file_response(filename: str, sheet_name: str, header: Sequence, rows: Iterable[Sequence]) -> FileResponse:
    """A workbook of any length: rows go to disk as they come (XlsxWriter constant_memory)."""
    target = tempfile.TemporaryFile()  # removed when the response closes it
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False, "remove_timezone": True})
    _write_sheet(book, sheet_name, header, rows)
    book.close()
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def export_response(fmt: str, basename: str, sheet_name: str, header: Sequence,
                    rows: Iterable[Sequence]) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """``basename-YYYYMMDD.csv`` or ``.xlsx`` of the rows; ``fmt`` is one of ``FORMATS``."""
    filename = f"{basename}-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        return xlsx_file_response(filename, sheet_name, header, rows)
    return csv_streaming_response(filename, header, rows)
