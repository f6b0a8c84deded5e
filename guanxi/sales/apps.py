from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "guanxi.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from guanxi.accounts import registry

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
