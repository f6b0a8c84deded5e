"""A quote as a printable PDF, with Chinese text rendered correctly.

Uses an installed CJK TrueType font when there is one (WenQuanYi Micro Hei, Noto Sans CJK), so the
glyphs are embedded; otherwise ReportLab's built-in STSong-Light, which PDF readers render with
their own Chinese font.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from guanxi.sales.models import Quote

FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
)
_font_name: str | None = None


def cjk_font() -> str:
    """Register (once) and return the name of a font that has Chinese glyphs."""
    global _font_name
    if _font_name is None:
        for path in FONT_FILES:
            if path.exists():
                pdfmetrics.registerFont(TTFont("GuanxiCJK", str(path), subfontIndex=0))
                _font_name = "GuanxiCJK"
                break
        else:
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
            _font_name = "STSong-Light"
    return _font_name


def _money(value: object) -> str:
    return f"{value:,.2f}"


def quote_pdf(quote: Quote) -> bytes:
    """The quote as an A4 PDF: header, customer, lines, total, validity and terms."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=6)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{_('Quote')} {quote.number}",
    )
    deal = quote.deal
    story = [
        Paragraph(f"{_('Quote')} {quote.number}", title),
        Paragraph(escape(f"{_('Customer')}: {deal.customer.name}"), body),
        Paragraph(escape(f"{_('Deal')}: {deal.name}"), body),
        Paragraph(f"{_('Date')}: {timezone.localdate(quote.created_at):%Y-%m-%d}", body),
    ]
    if quote.valid_until:
        story.append(Paragraph(f"{_('Valid until')}: {quote.valid_until:%Y-%m-%d}", body))
    story.append(Spacer(1, 6 * mm))
    rows = [[_("Product"), _("Quantity"), _("Unit price"), _("Discount (%)"), _("Total")]]
    for line in quote.line_items.all():
        rows.append(
            [
                Paragraph(escape(line.name), body),
                f"{line.quantity.normalize():f}",
                _money(line.unit_price),
                f"{line.discount_percent.normalize():f}",
                _money(line.total),
            ]
        )
    rows.append(["", "", "", _("Total"), f"{quote.currency} {_money(quote.amount)}"])
    table = Table(rows, colWidths=[70 * mm, 20 * mm, 30 * mm, 22 * mm, 32 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    if quote.notes:
        story += [Spacer(1, 6 * mm), Paragraph(escape(quote.notes).replace("\n", "<br/>"), body)]
    document.build(story)
    return buffer.getvalue()
