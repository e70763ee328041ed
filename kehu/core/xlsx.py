"""Excel out: one sheet, a bold header, numbers as numbers."""

import datetime
import io
from decimal import Decimal

import xlsxwriter
from django.http import HttpResponse


def xlsx_bytes(sheet_name: str, header: list, rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet(str(sheet_name)[:31])
    bold = book.add_format({"bold": True, "bg_color": "#EEF2F6"})
    money = book.add_format({"num_format": "#,##0.00"})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, title in enumerate(header):
        sheet.write(0, col, str(title), bold)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(r, c, float(value), money)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime(value.year, value.month, value.day), date)
            elif value is None:
                sheet.write_blank(r, c, None)
            else:
                sheet.write(r, c, value if isinstance(value, int | float) else str(value))
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, max(len(header) - 1, 0), 16)
    book.close()
    return buffer.getvalue()


def xlsx_response(filename: str, sheet_name: str, header: list, rows: list[list]) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(sheet_name, header, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
