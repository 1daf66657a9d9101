"""`bench disclosures` runs, shows a query count that does not grow with the batch, and leaves no rows behind."""

import pytest
from django.core.management import call_command

from disclosures.models import Provision, ProvisionBatch, Recipient
from members.models import Member

pytestmark = pytest.mark.django_db


def test_the_bench_prints_its_figures_and_leaves_the_real_tables_as_they_were(capsys):
    # when
    call_command("bench", "disclosures", "--size", "150")
    # then
    out = capsys.readouterr().out
    assert "provision_record, consent basis" in out
    assert out.count("does not grow with the batch") == 2
    assert (Member.objects.count(), Recipient.objects.count(), ProvisionBatch.objects.count(),
            Provision.objects.count()) == (0, 0, 0, 0)
