"""What every member page shows: the notice of an announced policy change (policy §12) and the cookie banner."""

from django.http import HttpRequest

from consents.cookies import cookie_choice_made
from consents.models import PolicyVersion


def policy_notices(request: HttpRequest) -> dict:
    if request.path.startswith("/admin/"):
        return {}
    return {
        "announced_policy": PolicyVersion.objects.announced(),
        "cookie_banner": not cookie_choice_made(request),
    }
