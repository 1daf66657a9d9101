"""`demo_data` makes realistic members in bulk, enrols some in refund courses with RRNs, and an officer."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from members.models import Enrollment, Member, SensitiveIdentifier
from members.validators import normalize_rrn

pytestmark = pytest.mark.django_db


def test_demo_data_creates_members_refund_enrolments_and_a_working_officer_login(capsys):
    # when
    call_command("demo_data", members=60, seed=1)
    output = capsys.readouterr().out
    # then: members with Korean names and 010 numbers
    members = list(Member.objects.filter(is_staff=False))
    assert len(members) == 60
    assert all(re.fullmatch(r"[가-힣]{3}", m.name) and m.mobile.startswith("010-") for m in members)
    # refund-type enrolments carry a valid RRN with its legal basis
    refund = Enrollment.objects.filter(course__is_employment_insurance_refund=True) | Enrollment.objects.filter(
        course__is_sme_core_job=True) | Enrollment.objects.filter(course__is_insurance_required=True)
    assert refund.exists()
    for enrollment in refund:
        rrn = SensitiveIdentifier.objects.get(member=enrollment.member, kind="rrn")
        assert normalize_rrn(rrn.value) == rrn.value
        assert rrn.legal_basis in ("employment_insurance_refund", "sme_core_job", "insurance_required")
    # the printed officer login works on the admin
    login, password = re.search(r"Officer login: (\S+) / (\S+)", output).groups()
    client = Client()
    response = client.post("/admin/login/", {"username": login, "password": password, "next": "/admin/"})
    assert response.status_code == 302
    assert client.get("/admin/members/member/").status_code == 200


def test_running_demo_data_twice_adds_more_members_and_resets_the_officer_password(capsys):
    call_command("demo_data", members=5, seed=1)
    call_command("demo_data", members=5, seed=1)
    assert Member.objects.filter(is_staff=False).count() == 10
    assert Member.objects.filter(is_superuser=True).count() == 1


def test_bench_members_prints_figures_with_ratios(capsys):
    call_command("bench", "members", size=300)
    output = capsys.readouterr().out
    assert re.search(r"lookup by email, blind index .*µs\s+\d+\.\d\d", output)
    assert re.search(r"member list p95, Member .*ms\s+\d+\.\d\d", output)
    assert re.search(r"lookup by email, Member.objects.by_email \(ORM\) .*µs\s+\d+\.\d\d", output)
    assert Member.objects.count() == 0  # the benchmark leaves nothing behind
