"""The consent records list at 12 records per member: a fixed number of queries, newest first and the date
filter read from an index, no date hierarchy, a member's number searched as a number, the page's rows as
Django renders them."""

import datetime
import re

import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.http import urlencode

from consents import selectors
from consents.models import ConsentRecord, ConsentText, GuardianConsent, MarketingNotice
from members import bulk
from members.admin_lists import result_rows
from members.demo import Generator
from tests.admin_search import admin_search
from tests.members.factories import officer_client

pytestmark = pytest.mark.django_db

LIST = "/admin/consents/consentrecord/"


@pytest.fixture
def officer() -> Client:
    return officer_client()


def _records(count: int, *, first: int = 1) -> list[ConsentRecord]:
    """`count` records for members of their own, a dozen per member, spread over the past days."""
    members = bulk.members_create(list(Generator(5).member_rows(max(1, count // 12), first)), password_hash="!")
    items = list(selectors.signup_items())
    version = selectors.current_version()
    text, _created = ConsentText.objects.get_or_create(sha256="a" * 64, defaults={"text": "동의서"})
    now = timezone.now()
    return ConsentRecord.objects.bulk_create([
        ConsentRecord(member=members[n % len(members)], item=items[n % len(items)], policy_version=version,
                      granted=n % 3 != 0, recorded_at=now - datetime.timedelta(hours=n), channel="web",
                      ip="203.0.113.7", text=text)
        for n in range(count)])


def _since(*, days: int) -> str:
    """The date filter's "past 7 days" parameters, as its link has them."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return urlencode({"recorded_at__gte": str(today - datetime.timedelta(days=days)),
                      "recorded_at__lt": str(today + datetime.timedelta(days=1))})


def _list_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _plan(sql: str) -> str:
    """The plan PostgreSQL chooses when reading or sorting the whole table is out of the question (as at 12
    million rows): sequential scans and sorts off, so that it sorts only if no index gives the order."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_sort")
    return plan


def test_consent_record_list_runs_the_same_number_of_queries_at_10_and_at_1000_records(officer, policy):
    # given
    _records(10)
    at_10 = _list_queries(officer, LIST)
    _records(990, first=100)
    # when
    at_1000 = _list_queries(officer, LIST)
    filtered = _list_queries(officer, f"{LIST}?granted__exact=1&{_since(days=7)}")
    # then: the same queries, one capped count at most, and no date hierarchy reading every record's date
    assert len(at_1000) == len(at_10)
    assert sum("COUNT(" in sql.upper() for sql in at_1000) <= 1
    assert sum("COUNT(" in sql.upper() for sql in filtered) <= 1
    assert not any("DATE_TRUNC" in sql.upper() for sql in at_1000)


@pytest.mark.parametrize("url", [LIST, "/admin/members/member/"])
def test_big_lists_offer_no_facet_counts_that_would_count_the_whole_table_per_filter_choice(officer, policy, url):
    # given
    _records(24)
    plain = _list_queries(officer, url)
    # when: the officer asks for the filter counts (Django's "show counts" link)
    response = officer.get(f"{url}?_facets=True")
    with_facets = _list_queries(officer, f"{url}?_facets=True")
    # then: no link offers them, and asking for them counts nothing more
    assert response.status_code == 200
    assert not re.search(r'class="(viewlink|hidelink)"', response.content.decode())
    assert len(with_facets) == len(plain)
    assert sum("COUNT(" in sql.upper() for sql in with_facets) == sum("COUNT(" in sql.upper() for sql in plain)


@pytest.mark.parametrize(("url", "column", "default_order"), [
    (LIST, "item", 'ORDER BY "consents_consentrecord"."recorded_at" DESC'),
    ("/admin/members/member/", "status", 'ORDER BY "members_member"."id" DESC'),
])
def test_big_lists_ignore_an_order_by_a_column_that_is_not_sortable(officer, policy, url, column, default_order):
    # given: the page's own headers offer no order by this column
    _records(24)
    columns = list(officer.get(url).context["cl"].list_display)
    # when: an address asks for it anyway (?o=<its number>), which would sort the whole table
    queries = _list_queries(officer, f"{url}?o={columns.index(column)}")
    # then: the page keeps its indexed order
    table = default_order.split('"')[1]
    page = next(sql for sql in queries
                if f'FROM "{table}"' in sql and "ORDER BY" in sql and "COUNT(" not in sql.upper())
    assert default_order in page
    assert f'."{column}"' not in page.split("ORDER BY")[1]


def test_consent_record_list_reads_newest_first_and_its_dates_from_an_index(officer, policy):
    # given
    _records(120)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consents_consentrecord")
    # when: the first page, and the page of the past 7 days
    pages = [_list_queries(officer, LIST), _list_queries(officer, f"{LIST}?{_since(days=7)}")]
    # then: each page's rows come from consent_recorded_idx in order, without sorting the table
    for queries in pages:
        page = next(sql for sql in queries if "ORDER BY" in sql and "consents_consentrecord" in sql)
        assert 'ORDER BY "consents_consentrecord"."recorded_at" DESC, "consents_consentrecord"."id" DESC' in page
        plan = _plan(page)
        assert "consent_recorded_idx" in plan, plan
        assert "Sort" not in plan, plan


def test_consent_record_list_columns_sort_only_where_an_index_serves_the_order(officer, policy):
    _records(3)
    response = officer.get(LIST)
    sortable = [re.search(r"column-(\w+)", header["class_attrib"]).group(1)
                for header in response.context["result_headers"] if header["sortable"]]
    assert sortable == ["id", "recorded_at"]


def test_consent_record_list_searches_a_member_number_as_a_number(officer, policy):
    # given
    records = _records(24)
    member_id = records[0].member_id
    # when
    found = admin_search(officer, LIST, str(member_id))
    queries = _list_queries(officer, f"{LIST}?{found.wsgi_request.GET.urlencode()}")  # the list read back
    not_a_number = admin_search(officer, LIST, "12abc")
    # then: an integer comparison an index serves, not the column cast to text
    assert set(found.context["cl"].result_list) == set(ConsentRecord.objects.filter(member_id=member_id))
    page = next(sql for sql in queries if "ORDER BY" in sql and "consents_consentrecord" in sql)
    assert f'"consents_consentrecord"."member_id" = {member_id}' in page
    assert "UPPER(" not in page
    assert list(not_a_number.context["cl"].result_list) == []


@pytest.mark.parametrize("language", ["ko", "en"])
def test_consent_record_list_rows_are_djangos_markup(officer, policy, language):
    # given
    _records(30)
    # when: a filtered page, whose links carry the filters back
    with translation.override(language):
        response = officer.get(f"{LIST}?granted__exact=1", headers={"accept-language": language})
        cl = response.context["cl"]
        rows = result_rows(cl)
        djangos = ["".join(items_for_result(cl, result, None)) for result in cl.result_list]
    # then
    assert rows == djangos
    assert "_changelist_filters=granted__exact" in rows[0]
    page = response.content.decode()
    assert all(f"<tr>{row}</tr>" in page for row in rows)


@pytest.mark.parametrize(("url", "hidden"), [("/admin/consents/marketingnotice/", '"consents_consentrecord"'),
                                             ("/admin/consents/guardianconsent/", '"consents_guardianconsent"."ip"')])
def test_marketing_notice_and_guardian_lists_read_newest_first_by_id_and_only_the_shown_columns(
        officer, policy, url, hidden):
    # given: a notice about a record, and a guardian's consent
    record = _records(1)[0]
    MarketingNotice.objects.create(kind=MarketingNotice.Kind.RESULT, member_id=record.member_id, record=record)
    GuardianConsent.objects.create(member_id=record.member_id, guardian_name="홍길동", guardian_contact="010-2345-6789")
    # when
    with CaptureQueriesContext(connection) as captured:
        response = officer.get(url)
    # then: the row shown, masked where personal; the page read by the primary key, without what it does not show
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
    page = next(q["sql"] for q in captured.captured_queries if "ORDER BY" in q["sql"] and "LIMIT" not in q["sql"]
                and url.split("/")[3] in q["sql"])
    assert page.rstrip().endswith('."id" DESC')
    assert hidden not in page
    content = response.content.decode()
    assert "홍길동" not in content
    assert f"#{record.pk}" in content or "홍*동" in content
