"""A typed email, mobile or login ID never appears in a URL: the search box POSTs the term, the changelist
finds it again through an opaque, short-lived token (typed terms would otherwise land in access logs)."""

import re
from html import unescape
from urllib.parse import quote, quote_plus, urljoin

import pytest
import time_machine
from django.contrib import admin
from django.test import Client

from members.models import Member
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/members/member/"


@pytest.fixture
def officer():
    return MemberFactory(login_id="officer", is_staff=True, is_superuser=True)


@pytest.fixture
def officer_client(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    return client


def _search(client: Client, term: str, page_url: str = CHANGELIST):
    """Search the way a browser does: read the search form from the page, post it with its CSRF token."""
    page = client.get(page_url).content.decode()
    form = re.search(r'<form id="changelist-search" method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the search box posts its term"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    fields["q"] = term
    return unescape(form.group(1)), client.post(unescape(form.group(1)), fields)


def _links(html: str) -> list[str]:
    return [unescape(url) for url in re.findall(r'(?:href|action|src)="([^"]*)"', html)]


def _forms_of(term: str) -> set[str]:
    digits = re.sub(r"\D", "", term)
    forms = {term, term.lower(), quote(term), quote_plus(term), quote(term, safe=""), quote(term.lower(), safe="")}
    return forms | ({digits} if len(digits) >= 4 else set())


@pytest.mark.parametrize("kind", ["email", "mobile", "login_id"])
def test_no_url_the_search_produces_carries_the_term(officer_client, kind, monkeypatch):
    # given three members sharing a mobile phone number, one page per result so that there are page links
    members = [MemberFactory(mobile="010-2345-6789") for _ in range(3)]
    term = {"email": members[0].email.upper(), "mobile": "010-2345-6789", "login_id": members[0].login_id}[kind]
    monkeypatch.setattr(admin.site._registry[Member], "list_per_page", 1)
    # when the officer searches with a status filter applied
    action, response = _search(officer_client, term, f"{CHANGELIST}?status__exact=active")
    # then neither the POST target nor the redirect carries the term
    assert response.status_code == 302
    location = response["Location"]
    assert "q_token=" in location
    assert "status__exact=active" in location
    result = officer_client.get(location)
    expected = members if kind == "mobile" else members[:1]
    assert result.context["cl"].result_count == len(expected)
    assert set(result.context["cl"].queryset) == set(expected)
    # nor does any link on the result page, the page links included
    links = _links(result.content.decode())
    page_links = [url for url in links if "p=" in url]
    if kind == "mobile":
        assert page_links, "three results at one per page have page links"
        second = officer_client.get(urljoin(location, next(url for url in page_links if "p=2" in url)))
        assert second.status_code == 200
        assert list(second.context["cl"].result_list) == [sorted(members, key=lambda m: -m.pk)[1]]
    for url in [action, location, *links]:
        for form in _forms_of(term):
            assert form not in url, (form, url)


def test_search_finds_a_member_by_member_number_through_a_token(officer_client):
    target = MemberFactory()
    _, response = _search(officer_client, str(target.pk))
    assert str(target.pk) not in response["Location"].split("?", 1)[1]
    assert list(officer_client.get(response["Location"]).context["cl"].result_list) == [target]


def test_a_search_term_in_the_address_is_neither_used_nor_echoed(officer_client):
    # given a member and an old-style search link with the email in it
    member = MemberFactory(email="old.link@example.com")
    # when it is opened
    response = officer_client.get(CHANGELIST, {"q": member.email, "status__exact": "active"})
    # then the list redirects to itself without the term, keeping the other parameters
    assert response.status_code == 302
    assert "old.link" not in response["Location"]
    assert "q=" not in response["Location"]
    assert "status__exact=active" in response["Location"]


def test_the_search_post_is_csrf_protected(officer_client):
    response = officer_client.post("/admin/members/member/search/", {"q": "someone@example.com"})
    assert response.status_code == 403


def test_a_search_token_expires_after_ten_minutes(officer_client):
    member = MemberFactory()
    with time_machine.travel("2026-03-02 10:00 +0900", tick=False):
        _, response = _search(officer_client, member.email)
        assert officer_client.get(response["Location"]).status_code == 200
    with time_machine.travel("2026-03-02 10:11 +0900", tick=False):
        expired = officer_client.get(response["Location"])
    assert expired.status_code == 302
    assert "q_token" not in expired["Location"]


def test_a_token_is_bound_to_its_session(officer_client, officer):
    member = MemberFactory()
    _, response = _search(officer_client, member.email)
    other = Client()
    other.force_login(officer)
    assert other.get(response["Location"]).status_code == 302


def test_the_session_keeps_the_term_encrypted(officer_client):
    from members.models import MemberSession as Session

    _search(officer_client, "secret.term@example.com")
    assert all("secret.term" not in str(s.get_decoded()) for s in Session.objects.all())


def test_members_cannot_be_searched_through_the_autocomplete_get(officer_client):
    # the autocomplete widget sends its typed term in the URL; a member is linked with raw_id_fields instead
    member = MemberFactory()
    response = officer_client.get("/admin/autocomplete/", {"term": member.email, "app_label": "members",
                                                           "model_name": "sensitiveidentifier",
                                                           "field_name": "member"})
    assert response.status_code == 404
    assert member.email not in response.content.decode()


def test_the_raw_id_popup_keeps_its_parameters_through_a_search(officer_client):
    # the pop-up list a raw-ID field opens searches through the same box
    member = MemberFactory()
    _, response = _search(officer_client, member.email, f"{CHANGELIST}?_popup=1&_to_field=id")
    assert "_popup=1" in response["Location"]
    assert "_to_field=id" in response["Location"]
    result = officer_client.get(response["Location"])
    assert list(result.context["cl"].result_list) == [member]
    assert result.context["cl"].is_popup
