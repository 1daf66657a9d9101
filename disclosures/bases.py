"""Which members a statute covers, for many members in a fixed number of queries.

`rrn_held_for_refund` is the one place that reads on what basis a 주민등록번호 is held; when the table of
legal bases per identifier arrives, only this function changes.
"""

from collections.abc import Callable, Collection

from django.utils.translation import gettext_lazy as _

from disclosures.models import StatuteRule
from members.models import Enrollment, SensitiveIdentifier


def enrolled_in_refund_course(member_ids: Collection[int]) -> set[int]:
    """Members with a current (not withdrawn) enrolment in an employment-insurance refund course."""
    return set(Enrollment.objects.filter(member_id__in=member_ids, course__is_employment_insurance_refund=True,
                                         cancelled_at__isnull=True).values_list("member_id", flat=True))


def rrn_held_for_refund(member_ids: Collection[int]) -> set[int]:
    """Members whose 주민등록번호 is held on the employment-insurance refund basis (policy §1, Decree §52-2①)."""
    return set(SensitiveIdentifier.objects.filter(
        member_id__in=member_ids, kind=SensitiveIdentifier.Kind.RRN,
        legal_basis=SensitiveIdentifier.LegalBasis.EMPLOYMENT_INSURANCE_REFUND,
    ).values_list("member_id", flat=True))


def _employment_insurance_report(member_ids: Collection[int]) -> dict[int, str]:
    enrolled = enrolled_in_refund_course(member_ids)
    rrn = rrn_held_for_refund(member_ids)
    refused = {}
    for member_id in member_ids:
        if member_id not in enrolled:
            refused[member_id] = str(_("the statute covers only members enrolled in an employment-insurance "
                                       "refund course"))
        elif member_id not in rrn:
            refused[member_id] = str(_("no resident registration number is held on the employment-insurance "
                                       "refund basis"))
    return refused


def _training_monitoring(member_ids: Collection[int]) -> dict[int, str]:
    enrolled = enrolled_in_refund_course(member_ids)
    return {member_id: str(_("the statute covers only members enrolled in an employment-insurance refund course"))
            for member_id in member_ids if member_id not in enrolled}


# Each rule returns {member id: why the statute does not cover them} for the members it does not cover.
RULES: dict[str, Callable[[Collection[int]], dict[int, str]]] = {
    StatuteRule.EMPLOYMENT_INSURANCE_REPORT: _employment_insurance_report,
    StatuteRule.TRAINING_MONITORING: _training_monitoring,
}


def statute_refusals(rule: str, member_ids: Collection[int]) -> dict[int, str]:
    return RULES[rule](member_ids)
