"""The credit forms printed as the familiar paper forms (Chinese, A4), rendered by WeasyPrint
from HTML templates with the fonts installed on the server (fonts-noto-cjk)."""

from django.template.loader import render_to_string
from django.utils import translation


def _render(template: str, context: dict, request=None) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    with translation.override("zh-hans"):
        html = render_to_string(template, context, request=request)
    return HTML(string=html).write_pdf()


def investigation_pdf(investigation, request=None) -> bytes:
    return _render("credit/pdf/investigation.html", {"investigation": investigation, "customer": investigation.customer}, request)


def application_pdf(application, request=None) -> bytes:
    return _render("credit/pdf/application.html", {"application": application, "customer": application.customer,
                                                   "investigation": application.investigation}, request)
