from __future__ import annotations

import sys
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from guanxi.accounts.models import User
from guanxi.customers import demo
from guanxi.customers.models import Customer
from guanxi.ops.setup import demo_departments_and_users, setup


class Command(BaseCommand):
    help = "Load realistic demo data: a sales team, Chinese companies, contacts and timelines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=200, help="how many customers")
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["customers"]
        if count < 0 or count > 1_000_000:
            self.stderr.write(_("--customers must be between 0 and 1,000,000."))
            sys.exit(2)
        result = setup()
        admin = User.objects.get(username="admin")
        reps = demo_departments_and_users(result.admin_password or "")
        seed = options["seed"] if options["seed"] is not None else User.objects.count() + count

        def progress(done: int) -> None:
            if done % 50 == 0 or done == count:
                self.stdout.write(f"\r{done}/{count}", ending="")
                self.stdout.flush()

        before = set(Customer.all_objects.values_list("pk", flat=True))
        made = demo.generate(
            actor=admin, owners=reps, customers=count, seed=seed, progress=progress
        )
        self.stdout.write("")
        if apps.is_installed("guanxi.sales"):
            from guanxi.sales import demo as sales_demo

            new = Customer.objects.exclude(pk__in=before).select_related("owner")
            deals = sales_demo.generate(actor=admin, customers=list(new), seed=seed)
            self.stdout.write(_("Demo deals: %(deals)d.") % {"deals": deals})
        self.stdout.write(
            _(
                "Demo data: %(customers)d customers, %(contacts)d contacts, "
                "%(interactions)d interactions."
            )
            % {
                "customers": made.customers,
                "contacts": made.contacts,
                "interactions": made.interactions,
            }
        )
