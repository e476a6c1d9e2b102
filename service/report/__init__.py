"""The annual monitoring report: a data model, rendered as self-contained HTML or as PDF."""

from service.report.html import render_html
from service.report.model import (
    Bar,
    BarChart,
    District,
    GroupedBarChart,
    Mark,
    Report,
    Section,
    Series,
    Table,
)
from service.report.pdf import render_pdf

__all__ = [
    "Bar",
    "BarChart",
    "District",
    "GroupedBarChart",
    "Mark",
    "Report",
    "Section",
    "Series",
    "Table",
    "render_html",
    "render_pdf",
]
