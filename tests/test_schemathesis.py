"""Fuzz the whole REST API from its OpenAPI schema: no input may make the server fail.

For every operation of ``/api/schema/``, Schemathesis generates requests that fit the schema and
requests that break it, and sends them to the Django WSGI application in-process, authenticated
as a sales rep who owns some records (so the small ids in paths often exist). Every answer must be
a declared status code with a declared content type and a body that matches the schema; none may
be a 5xx; a request that breaks the schema must be refused. A request that fits the schema may
still be refused with 400 by a rule the schema cannot state (a unique tag name, a valid phone
number, an id one may see), so Schemathesis's "positive data acceptance" check is left out.
(Schemathesis's own pytest plugin is not used: it does not work with pytest 9.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from guanxi.accounts import services as account_services
from guanxi.customers import services as customer_services
from guanxi.customers.models import Industry, Level, Source
from guanxi.testing import factories

# Examples per operation and mode; CI may fuzz deeper with GUANXI_FUZZ_EXAMPLES=100.
MAX_EXAMPLES = int(os.environ.get("GUANXI_FUZZ_EXAMPLES", "8"))

# Loading the schema sends one anonymous request, which touches no table.
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
OPERATIONS = sorted(result.ok().label for result in SCHEMA.get_all_operations())


@pytest.fixture
def _one_connection() -> Iterator[None]:
    """Requests run inside the test's transaction: the WSGI handler must not close it (Django's
    own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def records(rep: Any, other_rep: Any) -> dict[str, Any]:
    """Records of every kind, most of them the rep's, with small ids the fuzzer will hit."""
    tags = [factories.TagFactory(name=f"标签{i}") for i in range(3)]
    for model in (Industry, Source, Level):
        for i in range(2):
            model.objects.create(name=f"{model.__name__}{i}", position=i)
    customers = [
        factories.CustomerFactory(owner=rep, name=f"客户{i}", phone="+8613812345678")
        for i in range(4)
    ]
    customers.append(factories.CustomerFactory(owner=other_rep, name="别人的客户"))
    customers[0].tags.set(tags[:2])
    contacts = [factories.ContactFactory(customer=c, name=f"联系人{c.pk}") for c in customers]
    for customer in customers:
        factories.InteractionFactory(customer=customer)
    customer_services.attachment_create(
        actor=rep, customer=customers[0], upload=SimpleUploadedFile("报价.pdf", b"%PDF-1.4 q")
    )
    customer_services.collaborator_set(actor=rep, customer=customers[0], user=other_rep)
    return {"customers": customers, "contacts": contacts, "tags": tags}


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) >= 40
    assert "POST /api/v1/customers/" in OPERATIONS
    assert "DELETE /api/v1/tokens/{id}/" in OPERATIONS


def _fuzz(operation: Any, mode: GenerationMode, user: Any) -> None:
    """Run Schemathesis's checks on generated requests to one operation, as ``user``."""
    issued = account_services.token_create(actor=user, user=user, name="schemathesis")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {issued.secret}"},
            excluded_checks=[positive_data_acceptance],
        )

    answers()


@pytest.mark.usefixtures("records", "_one_connection")
def test_the_api_answers_every_request_as_its_schema_says(rep: Any) -> None:
    # Each operation starts from the same records: its changes are rolled back after it.
    failures = []
    for label in OPERATIONS:
        operation = SCHEMA.find_operation_by_label(label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cache.clear()  # the rate limits are not under test here
            try:
                with transaction.atomic():
                    _fuzz(operation, mode, rep)
                    transaction.set_rollback(True)
            except (Exception, BaseExceptionGroup) as exc:  # found and shrunk by Hypothesis
                failures.append(f"{label} ({mode.value}):\n{exc}")

    assert not failures, "\n\n".join(failures)
