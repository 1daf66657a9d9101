"""Member pages for consents and the public policy pages; every write goes through consents.services."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consents import selectors, services
from consents.cookies import ANALYTICS_CODE, cookie_choice_remember
from consents.forms import MEMBER_FIELDS, MemberLoginForm, SignupForm
from consents.models import ConsentRecord, PolicyVersion
from consents.policy import policy_context, version_diff
from consents.texts import consent_text, sha256


def _client(request: HttpRequest) -> dict:
    return {"ip": request.META.get("REMOTE_ADDR") or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300]}


def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up with every consent item asked separately (PIPA §22); all or nothing is saved."""
    version = selectors.current_version()
    items = selectors.signup_items()
    if version is None or not items:
        return render(request, "consents/closed.html", status=503)
    form = SignupForm(request.POST or None, items=items, initial={"policy_version": version.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.member_sign_up(
                member_fields={name: data[name] for name in MEMBER_FIELDS}, password=data["password"],
                decisions=form.decisions(), shown=form.shown(), policy_version=data["policy_version"],
                guardian={"name": data["guardian_name"], "contact": data["guardian_contact"],
                          "consent": data["guardian_consent"]},
                **_client(request))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, member, backend="members.backends.MemberBackend")
            messages.success(request, _("Welcome! Your account and your consent choices are saved."))
            return redirect("consents:mine")
    return render(request, "consents/signup.html", {"form": form, "version": version})


class LoginView(auth_views.LoginView):
    """Django's login (authenticate() with the request, so lockout can hook it); a member who has not yet
    consented to a required item of the version in force is asked first (policy §12)."""

    template_name = "consents/login.html"
    authentication_form = MemberLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("consents:mine")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        if selectors.pending_required_items(self.request.user.pk):
            return HttpResponseRedirect(f"{reverse('consents:renew')}?next={response.url}")
        return response


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("consents:login")


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
def renew(request: HttpRequest) -> HttpResponse:
    """Consent again to required items a new version added; nothing is assumed."""
    pending = selectors.pending_required_items(request.user.pk)
    if not pending:
        return redirect(_safe_next(request, reverse("consents:mine")))
    errors = {}
    if request.method == "POST":
        try:
            services.consents_renew(member=request.user, granted=request.POST.getlist("granted"),
                                    language=get_language(), **_client(request))
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("Thank you: your consents are up to date."))
            return redirect(_safe_next(request, reverse("consents:mine")))
    rows = [{"item": item, "text": consent_text(item), "errors": errors.get(f"consent_{item.code}", [])}
            for item in pending]
    return render(request, "consents/renew.html", {"rows": rows, "next": _safe_next(request, "")})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The member's consents: current state of each item, change an optional one, and every receipt."""
    if selectors.pending_required_items(request.user.pk):
        return redirect("consents:renew")
    if request.method == "POST":
        item = get_object_or_404(selectors.items_in_force(), code=request.POST.get("item", ""))
        granted = request.POST.get("action") == "grant"
        if item.required and not granted:
            messages.error(request, _("%(item)s: a required consent is withdrawn by leaving membership.")
                           % {"item": item.title})
        else:
            record = services.consent_change(member=request.user, item=item, granted=granted,
                                             language=get_language(), **_client(request))
            if record is None:
                messages.info(request, _("%(item)s: nothing changed.") % {"item": item.title})
            else:
                messages.success(request, _("%(item)s: your choice is saved.") % {"item": item.title})
        return redirect("consents:mine")
    state = selectors.current_consents([request.user.pk]).get(request.user.pk, {})
    rows = [{"item": item, "record": state.get(item.code)} for item in selectors.items_in_force()]
    records = ConsentRecord.objects.filter(member=request.user).select_related("item", "policy_version")
    return render(request, "consents/mine.html", {"rows": rows, "records": records})


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A consent receipt: item, version, the exact text by its hash, time and channel."""
    record = get_object_or_404(ConsentRecord.objects.select_related("item", "policy_version", "text"),
                               pk=pk, member=request.user)
    return render(request, "consents/receipt.html", {"record": record})


@require_POST
def cookie_choice(request: HttpRequest) -> HttpResponse:
    """Policy §9: the analytics-cookie choice; for a member it is a consent record, for a visitor a signed cookie."""
    granted = request.POST.get("choice") == "granted"
    if request.user.is_authenticated:
        item = selectors.items_in_force().filter(code=ANALYTICS_CODE).first()
        if item is not None:
            services.consent_change(member=request.user, item=item, granted=granted, language=get_language(),
                                    **_client(request))
    response = redirect(_safe_next(request, reverse("consents:privacy")))
    cookie_choice_remember(response, granted, secure=request.is_secure())
    return response


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "consents/privacy.html", policy_context())


def versions(request: HttpRequest) -> HttpResponse:
    """Every published version with its effective date, hash and a readable diff against the one before."""
    published = list(PolicyVersion.objects.published().order_by("effective_at", "pk"))
    rows = []
    for index, version in enumerate(published):
        older = published[index - 1] if index else None
        rows.append({"version": version, "older": older, "diff": version_diff(older, version) if older else [],
                     "hash_ok": sha256(version.text) == version.text_sha256})
    return render(request, "consents/versions.html", {"rows": list(reversed(rows))})
