"""Template filters of the 360° page."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from guanxi.core.normalize import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number in the form people read (+86 138 1234 5678 → 138 1234 5678)."""
    return format_phone(value or "")


KIND_ICONS = {
    "call": "ti-phone",
    "visit": "ti-map-pin",
    "meeting": "ti-users",
    "email": "ti-mail",
    "wechat": "ti-brand-wechat",
    "note": "ti-note",
}
OUTCOME_COLOURS = {
    "positive": "green",
    "neutral": "secondary",
    "negative": "red",
    "no_answer": "yellow",
}
STAGE_COLOURS = {
    "lead": "azure",
    "prospect": "indigo",
    "customer": "green",
    "loyal": "teal",
    "churned": "secondary",
}


@register.filter
def interaction_icon(kind: str) -> str:
    """The Tabler icon class of a kind of timeline entry."""
    return KIND_ICONS.get(kind, "ti-message")


@register.filter
def outcome_colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, "secondary")


@register.filter
def stage_colour(stage: str) -> str:
    return STAGE_COLOURS.get(stage, "secondary")


@register.filter
def file_icon(content_type: str) -> str:
    """A Tabler icon class for a file's media type."""
    kind = (content_type or "").split("/", 1)[0]
    if kind == "image":
        return "ti-photo"
    if content_type == "application/pdf":
        return "ti-file-type-pdf"
    if "spreadsheet" in content_type or "excel" in content_type or content_type == "text/csv":
        return "ti-file-spreadsheet"
    if "word" in content_type or "document" in content_type:
        return "ti-file-text"
    if "zip" in content_type or "compressed" in content_type:
        return "ti-file-zip"
    return "ti-file"


@register.filter
def overdue(value: dt.date | None) -> bool:
    """True for a follow-up date that has passed."""
    return value is not None and value < timezone.localdate()
