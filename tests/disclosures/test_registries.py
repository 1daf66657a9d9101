"""The recipient, processor and source registries: loaded from the policy, every change recorded, and a change
marks the published policy outdated until a new version is published."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from consents import services as consent_services
from disclosures import selectors
from disclosures.loading import PROCESSORS, RECIPIENTS
from disclosures.models import Processor, Recipient, RegistryChange
from disclosures.services import registry_entry_save

pytestmark = pytest.mark.django_db


def test_load_policy_loads_every_recipient_and_processor_of_the_policy_and_running_it_again_changes_nothing():
    # when
    call_command("load_policy", verbosity=0)
    call_command("load_policy", verbosity=0)
    # then
    assert set(Recipient.objects.values_list("name", flat=True)) == {spec["name"] for spec in RECIPIENTS}
    assert set(Processor.objects.values_list("name", flat=True)) == {"더송북", "한국FP협회/한국FPSB", "다우기술"}
    assert len(PROCESSORS) == 3
    group = Recipient.objects.get(name="과정제휴업체")
    assert group.is_group
    assert group.consent_item.code == "provision_partners"
    moel = Recipient.objects.get(name="고용노동부 한국산업인력공단")
    assert moel.item_codes == ["name", "rrn", "company_name", "mobile"]
    assert moel.statute_rule == "employment_insurance_report"
    assert "제52조의2제1항" in moel.statute
    assert RegistryChange.objects.filter(action="seed").count() == 9
    # the seed itself is what the published version says: nothing is outdated
    assert not selectors.policy_outdated().exists()


def test_an_officer_edit_is_recorded_with_who_when_before_and_after_and_flags_the_policy_outdated(policy, officer):
    # given
    processor = Processor.objects.get(name="다우기술")
    now = datetime.datetime(2026, 3, 2, 1, tzinfo=datetime.UTC)
    # when
    with time_machine.travel(now, tick=False):
        processor.retention = "회원 탈퇴 시까지"
        registry_entry_save(entry=processor, actor=officer)
    # then
    change = RegistryChange.objects.get(action="change")
    assert (change.registry, change.object_id, change.actor, change.changed_at) == ("processor", processor.pk,
                                                                                   officer, now)
    assert change.before["retention"] == "교육 서비스 제공기간"
    assert change.after["retention"] == "회원 탈퇴 시까지"
    assert list(selectors.policy_outdated()) == [change]


def test_saving_without_a_change_records_nothing(policy, officer):
    processor = Processor.objects.get(name="더송북")
    registry_entry_save(entry=processor, actor=officer)
    assert not RegistryChange.objects.exclude(action="seed").exists()


def test_publishing_a_new_version_clears_the_outdated_flag(policy, officer):
    # given: a partner company added to 과정제휴업체
    start = datetime.datetime(2026, 3, 2, 1, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        group = Recipient.objects.get(name="과정제휴업체")
        registry_entry_save(entry=Recipient(name="(주)한결에듀", group=group, active_from=datetime.date(2026, 3, 9)),
                            actor=officer)
        assert selectors.policy_outdated().count() == 1
    # when: a new version is drafted and published
    with time_machine.travel(start + datetime.timedelta(hours=1), tick=False):
        draft = consent_services.policy_version_draft(version="2026-03", change_summary="과정제휴업체 명단 추가",
                                                      effective_at=start + datetime.timedelta(days=8))
        published = consent_services.policy_version_publish(version=draft)
    # then: no longer outdated, and the frozen text names the partner company
    assert not selectors.policy_outdated().exists()
    assert "(주)한결에듀" in published.text


def test_a_recipient_with_an_unknown_item_or_without_a_basis_is_refused(policy, officer):
    recipient = Recipient(name="새 제공처", purpose="학습안내", item_codes=["name", "shoe_size"],
                          active_from=datetime.date(2026, 1, 1))
    with pytest.raises(ValidationError) as error:
        registry_entry_save(entry=recipient, actor=officer)
    assert "shoe_size" in str(error.value.message_dict["item_codes"])
    assert "consent_item" in error.value.message_dict
    assert not Recipient.objects.filter(name="새 제공처").exists()
    assert not RegistryChange.objects.exclude(action="seed").exists()


def test_an_overseas_transfer_must_say_where_and_how(policy, officer):
    processor = Processor.objects.get(name="다우기술")
    processor.overseas_transfer = True
    with pytest.raises(ValidationError) as error:
        registry_entry_save(entry=processor, actor=officer)
    assert "Overseas transfer details" in str(error.value)
