"""Activate the signed-in user's language (zh-Hans unless she chose another)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """Runs before authentication middleware; reads the session's cached language.

    The language is cached in the session at login and when the user changes it, so no query is
    spent on it per request. Anyone may pick one with
    ``?lang=``; otherwise the browser's Accept-Language decides, and zh-Hans when it names neither.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.GET.get("lang") or request.session.get("language")
        if language not in self.supported:
            language = translation.get_language_from_request(request)
        if request.GET.get("lang") in self.supported:
            request.session["language"] = language
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
