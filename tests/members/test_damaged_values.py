"""Issue 5, point 7: a value that cannot be decrypted is shown as the marker on every page, the rest of the
page as usual; it is logged once (table, column, row; never a value), counted on the admin index, never
saved over; rotate_keys skips it and goes on (tests/members/test_key_rotation.py)."""

import datetime
import logging

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from members import services
from members.masking import MASKS
from members.models import Member, SensitiveIdentifier
from tests.admin_search import admin_search
from tests.members.factories import MemberFactory, valid_rrn
from tests.members.helpers_keys import damage, raw_token

pytestmark = pytest.mark.django_db
MARKER = "복호화 불가 · cannot be decrypted"


def _new_api():
    """Imported in the tests, so that the page tests run (and fail) on the code before issue 5 too."""
    from members.encryption import DamagedValueError, Undecryptable
    from members.models import DecryptionFailure

    return DamagedValueError, Undecryptable, DecryptionFailure


@pytest.fixture
def officer_client():
    officer = MemberFactory(login_id="officer", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(officer)
    return client


@pytest.fixture
def damaged_member():
    """Three members; one altered byte in the middle one's name."""
    before = MemberFactory(name="김철수", email="kim@hanulchem.co.kr")
    member = MemberFactory(name="홍길동", email="damaged@hangyeol-it.co.kr", mobile="010-2345-6789")
    after = MemberFactory(name="이영희", email="lee@onnuritel.co.kr")
    damage("members_member", "name", member.pk)
    return before, member, after


def test_the_member_list_shows_the_marker_and_every_other_value(officer_client, damaged_member):
    _before, _member, _after = damaged_member
    page = officer_client.get("/admin/members/member/")
    assert page.status_code == 200
    html = page.content.decode()
    assert MARKER in html
    assert "김*수" in html
    assert "이*희" in html
    assert "da***@hangyeol-it.co.kr" in html  # the damaged member's other values as usual


def test_the_member_detail_shows_the_marker_and_every_other_value(officer_client, damaged_member):
    _before, member, _after = damaged_member
    page = officer_client.get(f"/admin/members/member/{member.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert MARKER in html
    assert "da***@hangyeol-it.co.kr" in html
    assert "010-****-6789" in html


def test_a_search_that_finds_the_damaged_member_shows_the_marker(officer_client, damaged_member):
    _before, member, _after = damaged_member
    page = admin_search(officer_client, "/admin/members/member/", "damaged@hangyeol-it.co.kr")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [member]
    assert MARKER in page.content.decode()


def test_one_damaged_identifier_leaves_the_identifier_list_readable(officer_client):
    holders = [MemberFactory(birth_date=datetime.date(1980 + n, 1, 1)) for n in range(3)]
    identifiers = [services.sensitive_identifier_record(member=m, kind="rrn", value=valid_rrn(m.birth_date),
                                                        legal_basis="employment_insurance_refund") for m in holders]
    damage("members_sensitiveidentifier", "value", identifiers[1].pk)
    page = officer_client.get("/admin/members/sensitiveidentifier/")
    assert page.status_code == 200
    html = page.content.decode()
    assert MARKER in html
    for identifier in (identifiers[0], identifiers[2]):
        assert f"{identifier.value[:8]}******" in html
    detail = officer_client.get(f"/admin/members/sensitiveidentifier/{identifiers[1].pk}/change/")
    assert detail.status_code == 200
    assert MARKER in detail.content.decode()


def test_a_failure_is_logged_once_with_table_column_and_row_never_the_value(officer_client, damaged_member, caplog):
    _, _, DecryptionFailure = _new_api()
    _before, member, _after = damaged_member
    with caplog.at_level(logging.WARNING, logger="members.encryption"):
        officer_client.get("/admin/members/member/")
        officer_client.get(f"/admin/members/member/{member.pk}/change/")
    lines = [r.getMessage() for r in caplog.records if r.name == "members.encryption"]
    assert lines == [f"cannot decrypt members_member.name of row {member.pk} (DecryptionError); shown as the marker"]
    assert "홍길동" not in caplog.text
    failure = DecryptionFailure.objects.get()
    assert (failure.table, failure.column, failure.row) == ("members_member", "name", str(member.pk))


def test_the_admin_index_counts_the_failures_and_links_to_them(officer_client, damaged_member):
    officer_client.get("/admin/members/member/")
    index = officer_client.get("/admin/").content.decode()
    assert "복호화할 수 없는 값: 1" in index
    assert "/admin/members/decryptionfailure/" in index
    ledger = officer_client.get("/admin/members/decryptionfailure/")
    assert ledger.status_code == 200
    assert "members_member" in ledger.content.decode()


def test_the_failures_ledger_is_read_only(officer_client, damaged_member):
    _, _, DecryptionFailure = _new_api()
    officer_client.get("/admin/members/member/")
    failure = DecryptionFailure.objects.get()
    assert officer_client.get("/admin/members/decryptionfailure/add/").status_code == 403
    assert officer_client.get(f"/admin/members/decryptionfailure/{failure.pk}/delete/").status_code == 403


def test_saving_a_member_that_holds_the_marker_is_refused_and_nothing_is_written(damaged_member):
    DamagedValueError, Undecryptable, _ = _new_api()
    _before, member, _after = damaged_member
    stored = raw_token("members_member", "name", member.pk)
    reread = Member.objects.get(pk=member.pk)
    # through the service: a message naming the field
    with pytest.raises(ValidationError) as refused:
        services.member_update(member=reread, department="총무팀")
    assert refused.value.message_dict["name"] == ["Name: the stored value cannot be decrypted; enter it again."]
    # straight to the model: refused too, never the marker written as data
    reread = Member.objects.get(pk=member.pk)
    assert isinstance(reread.name, Undecryptable)
    with pytest.raises(DamagedValueError, match=r"members.Member.name of row \d+ could not be decrypted"):
        reread.save()
    assert raw_token("members_member", "name", member.pk) == stored
    # entering the value again repairs the row
    repaired = services.member_update(member=Member.objects.get(pk=member.pk), name="홍길순")
    assert Member.objects.get(pk=repaired.pk).name == "홍길순"


def test_an_untouched_damaged_value_does_not_block_other_updates(damaged_member):
    _before, member, _after = damaged_member
    stored = raw_token("members_member", "name", member.pk)
    reread = Member.objects.get(pk=member.pk)
    reread.last_login = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    reread.save(update_fields=["last_login"])  # as a login does
    assert raw_token("members_member", "name", member.pk) == stored


def test_every_mask_shows_the_marker(settings):
    _, Undecryptable, _ = _new_api()
    value = Undecryptable("members_member", "name", 1)
    assert not value
    for name, mask in MASKS.items():
        assert mask(value) == "cannot be decrypted", name


def test_the_damaged_identifier_is_falsy_and_reads_as_the_marker():
    _, Undecryptable, _ = _new_api()
    member = MemberFactory()
    identifier = services.sensitive_identifier_record(member=member, kind="rrn", value=valid_rrn(),
                                                      legal_basis="employment_insurance_refund")
    damage("members_sensitiveidentifier", "value", identifier.pk, position=20)
    value = SensitiveIdentifier.objects.get(pk=identifier.pk).value
    assert isinstance(value, Undecryptable)
    assert str(value) == "cannot be decrypted"
