"""Retention rules: the five rows of policy §2, validated, with every change recorded."""

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

from members.models import Member, SensitiveIdentifier
from members.registry import Retention
from retention.models import ArchivedRecord, RetentionRule, RetentionRuleChange, Trigger
from retention.services import member_withdraw, retention_rule_create, retention_rule_update, retention_rules_load
from tests.retention.factories import staff, world

pytestmark = pytest.mark.django_db(databases="__all__")

GOOD = {"code": Retention.ECOMMERCE_COMPLAINT, "data_category": "불만 기록", "legal_basis": "전자상거래법",
        "period_amount": 3, "period_unit": "years", "trigger": Trigger.COMPLAINT_CLOSED}


def test_the_loader_writes_the_five_rows_of_policy_section_2_once():
    # when
    first = retention_rules_load()
    second = retention_rules_load()
    # then
    assert (first, second) == (5, 0)
    rules = {r.code: r for r in RetentionRule.objects.all()}
    assert set(rules) == set(Retention.values)
    assert {code: (r.period_amount, r.period_unit) for code, r in rules.items()} == {
        "employment_insurance_refund": (3, "years"), "disability_awareness": (3, "years"),
        "ecommerce_contract": (5, "years"), "ecommerce_payment": (5, "years"), "ecommerce_complaint": (3, "years")}
    assert rules["disability_awareness"].legal_basis == "장애인고용촉진 및 직업재활법 제5조의3 제2항"
    assert RetentionRuleChange.objects.count() == 5


def test_the_loader_keeps_a_rule_the_officer_changed():
    # given
    retention_rules_load()
    officer = staff()
    rule = RetentionRule.objects.get(code=Retention.ECOMMERCE_PAYMENT)
    retention_rule_update(rule=rule, actor=officer, period_amount=6)
    # when
    retention_rules_load()
    # then
    assert RetentionRule.objects.get(code=Retention.ECOMMERCE_PAYMENT).period_amount == 6


def test_the_fields_a_rule_keeps_come_from_the_declaration():
    retention_rules_load()
    refund = RetentionRule.objects.get(code=Retention.EMPLOYMENT_INSURANCE_REFUND)
    kept = {(item.model, item.name) for item in refund.kept_fields()}
    assert (Member, "home_address") in kept
    assert (SensitiveIdentifier, "value") in kept
    assert (Member, "birth_date") not in kept  # the disability-awareness rule keeps it, not this one


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"period_amount": 0}, "period_amount", "Retention period: must be more than zero (got 0)."),
    ({"period_amount": -3}, "period_amount", "Retention period: must be more than zero (got -3)."),
    ({"trigger": "moon_landing"}, "trigger", "Trigger event: moon_landing is not an event the system records"),
    ({"period_unit": "weeks"}, "period_unit", "Period unit: weeks is not one of days, months or years."),
    ({"code": "forever"}, "code", "Code: forever is not one of the policy's retention codes"),
    ({"fields": ["members.Member.shoe_size"]}, "fields",
     "Fields: members.Member.shoe_size are not personal fields the declaration keeps under this rule."),
    ({"fields": ["members.Member.birth_date"]}, "fields", "members.Member.birth_date are not personal fields"),
])
def test_a_bad_rule_is_refused_with_a_message_naming_the_field(change, field, message):
    # when
    with pytest.raises(ValidationError) as error:
        retention_rule_create(**{**GOOD, **change})
    # then
    assert any(message in text for text in error.value.message_dict[field])
    assert not RetentionRule.objects.exists()


def test_a_declared_field_is_accepted():
    rule = retention_rule_create(**GOOD, fields=["members.Complaint.summary"])
    assert rule.pk


def test_a_change_is_recorded_with_who_when_before_and_after():
    # given
    retention_rules_load()
    officer = staff()
    rule = RetentionRule.objects.get(code=Retention.ECOMMERCE_CONTRACT)
    # when
    retention_rule_update(rule=rule, actor=officer, period_amount=7)
    # then
    change = RetentionRuleChange.objects.filter(rule=rule).first()
    assert change.changed_by == officer
    assert (change.before["period_amount"], change.after["period_amount"]) == (5, 7)
    assert RetentionRule.objects.get(pk=rule.pk).approved_by == officer


def test_shortening_a_period_needs_a_written_reason():
    # given
    retention_rules_load()
    officer = staff()
    rule = RetentionRule.objects.get(code=Retention.ECOMMERCE_CONTRACT)
    # when / then: 5 years to 59 months is shorter
    with pytest.raises(ValidationError) as error:
        retention_rule_update(rule=rule, actor=officer, period_amount=59, period_unit="months")
    assert error.value.message_dict["reason"] == ["Reason: shortening a retention period needs a written reason."]
    assert RetentionRule.objects.get(pk=rule.pk).period_amount == 5
    # and with a reason it is accepted and the reason kept
    retention_rule_update(rule=rule, actor=officer, period_amount=59, period_unit="months",
                          reason="법 개정으로 보존기간 단축")
    assert RetentionRuleChange.objects.filter(rule=rule).first().reason == "법 개정으로 보존기간 단축"


def test_an_invalid_change_saves_nothing():
    retention_rules_load()
    officer = staff()
    rule = RetentionRule.objects.get(code=Retention.ECOMMERCE_CONTRACT)
    with pytest.raises(ValidationError):
        retention_rule_update(rule=rule, actor=officer, period_amount=0, reason="x")
    assert RetentionRule.objects.get(pk=rule.pk).period_amount == 5
    assert RetentionRuleChange.objects.filter(rule=rule).count() == 1


def test_a_changed_period_applies_to_what_the_rule_already_keeps():
    # given: a withdrawn member's contract record kept five years from the end of the course
    w = world(ended_days_ago=10)
    member_withdraw(member=w.member, actor=None, reason="탈퇴")
    officer = staff()
    rule = RetentionRule.objects.get(code=Retention.ECOMMERCE_CONTRACT)
    # when: shortened to 4 years, with its reason
    retention_rule_update(rule=rule, actor=officer, period_amount=4, reason="법령 개정")
    # then
    record = ArchivedRecord.objects.get(rule=Retention.ECOMMERCE_CONTRACT)
    assert record.destroy_after == w.refund.ended_on + relativedelta(years=4)
    assert RetentionRuleChange.objects.filter(rule=rule).first().after["rescheduled_archived_records"] == 1
    other = ArchivedRecord.objects.get(rule=Retention.ECOMMERCE_COMPLAINT)
    assert other.destroy_after == w.refund.ended_on + relativedelta(years=3)
