from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

import guanxi as guanxi_package


def guanxi(request: HttpRequest) -> dict[str, Any]:
    return {
        "GUANXI_VERSION": guanxi_package.__version__,
        "GUANXI_DEBUG": settings.DEBUG,
        "is_htmx": request.headers.get("HX-Request") == "true",
    }
