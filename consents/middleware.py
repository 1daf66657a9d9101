from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from consents.cookies import analytics_cookie_apply


class AnalyticsCookieMiddleware:
    """Policy §9: the analytics cookie exists only while the visitor's choice is 'granted'."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            analytics_cookie_apply(request, response, secure=settings.SESSION_COOKIE_SECURE)
        return response
