"""The project's admin site. Every ModelAdmin registered on it, ours or another app's (django-celery-beat,
django-axes, Django's own), gets the same two guards, so no app can forget them:

1. Only the list filters an admin declares (and its date hierarchy) can be applied from the URL. Django
   lets any lookup on a local field through, so `?password__startswith=` guessed a hash one character at a
   time and `?password__regex=(` was a 500; now any other lookup is a 400 before the database is asked.
2. Search terms never travel in a URL, where they would land in access logs and `next=` redirects: the
   search box POSTs the term, which is kept (encrypted) in the session under an opaque token for ten
   minutes, and the changelist reads it back from `?q_token=`. An admin that searches by personal values
   (`personal_search = True`) also refuses the autocomplete widget, whose typed term is a GET parameter:
   link to such a model with `raw_id_fields`, whose pop-up list searches through the POSTed box.
"""

import base64
import os
import secrets
import time
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import FieldListFilter, widgets
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Field
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

SEARCH_TOKEN_VAR = "q_token"
SEARCH_LIFETIME_SECONDS = 10 * 60
SEARCHES_KEPT = 20
_SESSION_KEY = "admin_searches"
# Form fields of the search POST that are not changelist parameters.
_NOT_CARRIED = {SEARCH_VAR, SEARCH_TOKEN_VAR, PAGE_VAR, "csrfmiddlewaretoken", "e"}


def declared_url_parameters(model_admin: admin.ModelAdmin, request: HttpRequest | None) -> set[str]:
    """The query-string parameters the admin's declared list filters and date hierarchy read.

    Each filter is built exactly as the changelist builds it (with no parameters) and asked for its
    `expected_parameters()`, so custom and third-party filters answer for themselves.
    """
    names: set[str] = set()
    for list_filter in model_admin.get_list_filter(request):
        if callable(list_filter):
            spec = list_filter(request, {}, model_admin.model, model_admin)
        else:
            field, filter_class = list_filter if isinstance(list_filter, tuple | list) else (
                list_filter, FieldListFilter.create)
            field_path = None
            if not isinstance(field, Field):
                field_path = field
                field = get_fields_from_path(model_admin.model, field_path)[-1]
            spec = filter_class(field, request, {}, model_admin.model, model_admin, field_path=field_path)
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names


@lru_cache(maxsize=2)
def _search_cipher(secret: str) -> AESGCM:
    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"privacy-backoffice/admin-search-term/v1").derive(secret.encode()))


def search_term_store(request: HttpRequest, model_label: str, term: str) -> str:
    """Keep a typed search term in the session for ten minutes; return the opaque token that finds it."""
    now = time.time()
    token = secrets.token_urlsafe(16)
    nonce = os.urandom(12)
    bound_to = f"{model_label}:{token}".encode()
    sealed = nonce + _search_cipher(settings.SECRET_KEY).encrypt(nonce, term.encode(), bound_to)
    kept = {key: entry for key, entry in request.session.get(_SESSION_KEY, {}).items() if entry["expires"] > now}
    kept[token] = {"term": base64.b64encode(sealed).decode(), "expires": now + SEARCH_LIFETIME_SECONDS}
    request.session[_SESSION_KEY] = dict(sorted(kept.items(), key=lambda item: item[1]["expires"])[-SEARCHES_KEPT:])
    return token


def search_term_read(request: HttpRequest, model_label: str, token: str) -> str | None:
    """The term stored under `token` for this model, or None when it is unknown or expired."""
    entry = request.session.get(_SESSION_KEY, {}).get(token)
    if not entry or entry["expires"] <= time.time():
        return None
    sealed = base64.b64decode(entry["term"])
    try:
        plain = _search_cipher(settings.SECRET_KEY).decrypt(sealed[:12], sealed[12:], f"{model_label}:{token}".encode())
    except InvalidTag:
        return None
    return plain.decode()


class StoredSearchChangeList:
    """Mixed into the admin's ChangeList class: the search term comes from the session, not the URL."""

    stored_query = ""

    def get_filters_params(self, params: dict | None = None) -> dict:
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(SEARCH_TOKEN_VAR, None)
        return lookup_params

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None):
        self.query = self.stored_query
        return super().get_queryset(request, exclude_parameters)


class GuardedModelAdmin:
    """Mixed into every ModelAdmin registered on the site (see PrivacyAdminSite.register), ahead of the admin's
    own class: it defines methods only, so the admin's own attributes stay in force."""

    def get_search_fields(self, request: HttpRequest) -> list:
        # An admin sets `personal_search = True` when its search finds records by email, phone or login ID.
        match = getattr(request, "resolver_match", None)
        if getattr(self, "personal_search", False) and match is not None and match.url_name == "autocomplete":
            return []  # the autocomplete view then answers 404: its term would travel in the URL
        return super().get_search_fields(request)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Django's own exception, kept: raw-ID popups pass the field's declared limit_choices_to.
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        if request is None:
            return lookup in declared_url_parameters(self, request)
        cache = request.__dict__.setdefault("_declared_url_parameters", {})
        if id(self) not in cache:
            cache[id(self)] = declared_url_parameters(self, request)
        return lookup in cache[id(self)]

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [path("search/", self.admin_site.admin_view(self.search_view), name="{}_{}_search".format(*info)),
                *super().get_urls()]

    def _changelist_url(self, params: dict[str, str]) -> str:
        url = reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return f"{url}?{urlencode(params)}" if params else url

    @property
    def _search_label(self) -> str:
        return self.opts.label_lower

    def search_view(self, request: HttpRequest) -> HttpResponse:
        return require_POST(self._search)(request)

    def _search(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if not self.get_search_fields(request):
            raise Http404
        params = {key: value for key, value in request.POST.items() if key not in _NOT_CARRIED}
        term = request.POST.get(SEARCH_VAR, "")
        if term.strip():
            params[SEARCH_TOKEN_VAR] = search_term_store(request, self._search_label, term)
        return HttpResponseRedirect(self._changelist_url(params))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if SEARCH_VAR in request.GET:
            # The term already reached the access log; do not search with it, and do not echo it back.
            params = {key: value for key, value in request.GET.items() if key not in _NOT_CARRIED}
            messages.warning(request, _("Search: search terms are not accepted in the address; type them into "
                                        "the search box."))
            return HttpResponseRedirect(self._changelist_url(params))
        token = request.GET.get(SEARCH_TOKEN_VAR)
        if token is not None and search_term_read(request, self._search_label, token) is None:
            params = {key: value for key, value in request.GET.items() if key not in _NOT_CARRIED}
            messages.warning(request, _("Search: this search has expired; please search again."))
            return HttpResponseRedirect(self._changelist_url(params))
        return super().changelist_view(request, extra_context)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type:
        changelist = super().get_changelist(request, **kwargs)
        token = request.GET.get(SEARCH_TOKEN_VAR)
        term = (token and search_term_read(request, self._search_label, token)) or ""
        return type(changelist.__name__, (StoredSearchChangeList, changelist), {"stored_query": term})


class PrivacyAdminSite(admin.AdminSite):
    """The default admin site (config.apps.PrivacyAdminConfig): apps keep using `@admin.register`."""

    def register(self, model_or_iterable: Any, admin_class: type | None = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, GuardedModelAdmin):
            admin_class = type(admin_class)(admin_class.__name__, (GuardedModelAdmin, admin_class), {
                "__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__,
                "__doc__": admin_class.__doc__})
        super().register(model_or_iterable, admin_class, **options)
