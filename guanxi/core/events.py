"""Domain events: services publish, subscribers react after the transaction commits.

Subscribers are registered at import time in an app's ``events.py`` (loaded by ``AppConfig.ready``)
with ``@subscribe("customer.created")``. A subscriber must be quick and must not raise; slow work is
handed to the task queue. A failing subscriber is logged and never undoes the committed change.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    actor_id: int | None = None


def subscribe(name: str) -> Callable[[Handler], Handler]:
    """Register ``handler`` for events called ``name`` (``"*"`` receives every event)."""

    def register(handler: Handler) -> Handler:
        if handler not in _subscribers[name]:
            _subscribers[name].append(handler)
        return handler

    return register


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _subscribers[name]:
        _subscribers[name].remove(handler)


def _dispatch(event: Event) -> None:
    for handler in [*_subscribers.get(event.name, []), *_subscribers.get("*", [])]:
        try:
            handler(event)
        except Exception:
            logger.exception("event subscriber %r failed for %s", handler, event.name)


def publish(name: str, *, actor_id: int | None = None, **payload: Any) -> Event:
    """Publish an event once the current transaction commits (at once outside a transaction)."""
    event = Event(name=name, payload=payload, actor_id=actor_id)
    transaction.on_commit(lambda: _dispatch(event))
    return event
