"""Search (DESIGN.md §3.5): one tokenizer for records and queries, an index per database.

- ``tokens``: what a record is found by (``Document``) and what a query asks (``parse_query``);
- ``backends``: ``SearchIndex``, the per-database tables and the filter a query becomes;
- ``operations``: ``CreateSearchIndex``, the migration operation creating an index table;
- ``count``: ``capped_count``, "10,000+" instead of an exact count past a cap.
"""

from guanxi.core.search.count import CappedCount, capped_count
from guanxi.core.search.tokens import Document, Query, parse_query

__all__ = ["CappedCount", "Document", "Query", "capped_count", "parse_query"]
