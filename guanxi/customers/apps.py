from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from guanxi.accounts import registry

        def transfer(**kwargs: Any) -> int:
            from guanxi.customers.services import customers_transfer_all

            return customers_transfer_all(**kwargs)

        registry.register_owned_records("customers", _("customers"), transfer)
