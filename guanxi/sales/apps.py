from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "guanxi.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from functools import partial

        from guanxi.accounts import registry
        from guanxi.core.services import owned_records_transfer
        from guanxi.sales import events  # noqa: F401 - subscribes to customer events
        from guanxi.sales.models import Deal, Lead, Order

        # A leaver's deals, leads and orders go to her successor with her customers.
        registry.register_owned_records("deals", _("deals"), partial(owned_records_transfer, Deal))
        registry.register_owned_records("leads", _("leads"), partial(owned_records_transfer, Lead))
        registry.register_owned_records(
            "orders", _("orders"), partial(owned_records_transfer, Order)
        )

        # Contact data of leads can be masked or hidden per role, like a customer's.
        registry.register_module(
            "sales",
            _("Sales"),
            fields={
                "mobile": _("Mobile"),
                "phone": _("Phone"),
                "email": _("E-mail"),
                "wechat": _("WeChat ID"),
            },
        )
