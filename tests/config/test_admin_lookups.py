"""Only the list filters an admin declares can be applied from the URL, on every admin of the site: any other
lookup is a 400 before the database is asked (a view-only account once guessed password hashes this way)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse

from config.admin import GuardedModelAdmin, declared_url_parameters
from members.models import Member
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
UNDECLARED = ["password__regex=(", "password__startswith=argon2", "id__regex=(", "pk__in=1,2", "id__gt=0",
              "not_a_field=1", "q_token__regex=("]


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def viewer_client():
    """A staff account that may view every registered model and nothing more."""
    viewer = MemberFactory(login_id="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(viewer)
    return client


def test_a_view_only_account_cannot_guess_a_password_hash_from_the_member_list(viewer_client):
    # given the officer's account and a staff account that may only view members
    officer = MemberFactory(login_id="officer", is_staff=True, is_superuser=True, password="officer-Passphrase-2023")
    prefix = officer.password[:12]
    # when the viewer filters the member list by the officer's id and a prefix of the hash
    response = viewer_client.get("/admin/members/member/", {"id": officer.pk, "password__startswith": prefix})
    # then the lookup is refused outright, so no answer leaks whether the prefix matched
    assert response.status_code == 400
    assert viewer_client.get("/admin/members/member/", {"password__regex": "("}).status_code == 400


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_every_admin_refuses_undeclared_lookups_with_a_400_and_no_database_error(viewer_client, model, model_admin):
    # given every admin registered on the site, ours and other apps'
    assert isinstance(model_admin, GuardedModelAdmin)
    url = _changelist(model)
    assert viewer_client.get(url).status_code == 200
    for query in UNDECLARED:
        # when a lookup that no list filter declares is put in the URL
        response = viewer_client.get(f"{url}?{query}")
        # then it is a 400, and the database transaction is still healthy (no query failed)
        assert response.status_code == 400, query
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_declared_filters_still_work_and_odd_values_are_never_a_500(viewer_client, model, model_admin):
    url = _changelist(model)
    for name in sorted(declared_url_parameters(model_admin, None)):
        for value in ("(", "1", "²"):
            response = viewer_client.get(url, {name: value})
            assert response.status_code in (200, 302), (name, value)


def test_a_declared_list_filter_filters_the_member_list(viewer_client):
    staff = MemberFactory(is_staff=True)
    MemberFactory()
    response = viewer_client.get("/admin/members/member/", {"is_staff__exact": "1"})
    assert response.status_code == 200
    assert staff in response.context["cl"].result_list
    assert all(member.is_staff for member in response.context["cl"].result_list)


def test_apps_registering_later_with_the_plain_decorator_get_the_guard():
    # given a model admin registered the ordinary way, as another app would
    class PlainAdmin(admin.ModelAdmin):
        list_filter = ["status"]

    site = type(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site)()
    # when it is registered on a site of the project's kind
    site.register(Member, PlainAdmin)
    registered = site._registry[Member]
    # then it refuses undeclared lookups and keeps its declared ones
    assert isinstance(registered, GuardedModelAdmin)
    assert registered.lookup_allowed("status__exact", "active", None)
    assert not registered.lookup_allowed("password__startswith", "a", None)
