"""The customer search index: an FTS5 table on SQLite, a tsvector table with GIN on PostgreSQL."""

from django.db import migrations

from guanxi.core.search.operations import CreateSearchIndex


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("core", "0002_searchkey"),
    ]

    operations = [
        CreateSearchIndex("customers_customer_search"),
    ]
