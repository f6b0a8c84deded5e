"""Cursor pagination: stable at any size, no OFFSET (DESIGN.md §5)."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
    # DRF falls back to the default for a page size that is not a positive number and caps it at
    # max_page_size: huge page sizes never reach the database.
