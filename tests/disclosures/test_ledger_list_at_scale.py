"""The provision ledger's list at a row per member per provision: a fixed number of queries, newest first by
the primary key's index, only the shown columns (never the provider's encrypted ones)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from disclosures.models import Basis
from disclosures.services import provision_record
from tests.disclosures.conftest import consenting_member

pytestmark = pytest.mark.django_db

LEDGER = "/admin/disclosures/provision/"


def _provide(recipient, members, actor) -> None:
    provision_record(recipient=recipient, members=members, items=recipient.terms.item_codes, basis=Basis.CONSENT,
                     actor=actor, purpose="2026년 3월 정기 제공")


def _list_queries(client: Client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LEDGER)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_provision_ledger_list_runs_the_same_queries_at_1_and_at_12_rows_reading_only_the_shown_columns(
        moel, officer):
    # given
    client = Client()
    client.force_login(officer)
    _provide(moel, [consenting_member(moel)], officer)
    at_1 = _list_queries(client)
    _provide(moel, [consenting_member(moel) for _ in range(11)], officer)
    # when
    at_12 = _list_queries(client)
    # then
    assert len(at_12) == len(at_1)
    page = next(sql for sql in at_12 if "ORDER BY" in sql and "disclosures_provision" in sql)
    assert 'ORDER BY "disclosures_provision"."id" DESC' in page
    for column in ("name", "email", "mobile"):  # the provider is a member: its encrypted columns stay unread
        assert f'"members_member"."{column}"' not in page


def test_provision_ledger_keeps_its_indexes_without_the_ones_others_serve():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'disclosures_provision'")
        definitions = [row[0] for row in cursor.fetchall()]
    single = [sql for sql in definitions if sql.endswith("(member_id)") or sql.endswith("(batch_id)")]
    assert single == []
    assert any("(member_id, recipient_id)" in sql for sql in definitions)
    assert any("(batch_id, member_id)" in sql for sql in definitions)
