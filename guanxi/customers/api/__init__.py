"""The REST API of customers, contacts, interactions, tags and attachments (``/api/v1/``)."""
