"""Personal data held by the members app (policy §1 items; §2 retention)."""

from django.utils.translation import gettext_lazy as _

from members.models import Complaint, Enrollment, Member, SensitiveIdentifier, SensitiveIdentifierCorrection
from members.registry import Category, Retention, personal, registry

REFUND = Retention.EMPLOYMENT_INSURANCE_REFUND
DISABILITY = Retention.DISABILITY_AWARENESS

registry.declare(
    Member,
    personal(Member, "login_id", Category.ACCOUNT, mask="partial", label=_("Login ID"), retention=(DISABILITY,)),
    personal(Member, "password", Category.ACCOUNT, mask="secret", label=_("Password"), retention=(DISABILITY,),
             encrypted=False, exported=False),  # one-way hashed with Argon2, never shown or exported
    personal(Member, "name", Category.IDENTITY, mask="name", label=_("Name"), retention=(REFUND, DISABILITY)),
    personal(Member, "mobile", Category.CONTACT, mask="phone", label=_("Mobile phone"),
             retention=(REFUND, DISABILITY)),
    personal(Member, "email", Category.CONTACT, mask="email", label=_("Email"), retention=(REFUND, DISABILITY)),
    personal(Member, "company_name", Category.EMPLOYMENT, mask="partial", label=_("Company name"),
             retention=(REFUND,)),
    personal(Member, "department", Category.EMPLOYMENT, mask="partial", label=_("Department"),
             retention=(REFUND, DISABILITY)),
    personal(Member, "job_title", Category.EMPLOYMENT, mask="partial", label=_("Job title"),
             retention=(REFUND, DISABILITY)),
    personal(Member, "employee_number", Category.EMPLOYMENT, mask="partial", label=_("Employee number"),
             retention=(REFUND, DISABILITY)),
    personal(Member, "company_phone", Category.EMPLOYMENT, mask="phone", label=_("Company phone"),
             retention=(REFUND, DISABILITY)),
    personal(Member, "birth_date", Category.IDENTITY, mask="date", label=_("Birth date"), retention=(DISABILITY,)),
    personal(Member, "home_address", Category.CONTACT, mask="address", label=_("Home address"),
             retention=(REFUND,)),
    personal(Member, "home_phone", Category.CONTACT, mask="phone", label=_("Home phone"), retention=(REFUND,)),
    personal(Member, "ipin_ci", Category.IDENTITY_VERIFICATION, mask="secret", label=_("i-PIN CI")),
    personal(Member, "ipin_di", Category.IDENTITY_VERIFICATION, mask="secret", label=_("i-PIN DI")),
    # 접속로그 (policy §1): a timestamp the login machinery writes, so not encrypted.
    personal(Member, "last_login", Category.SERVICE_RECORD, mask="date", label=_("Last login"), encrypted=False),
)

registry.declare(
    SensitiveIdentifier,
    # The refund review keeps 주민등록번호 (kind "rrn"); a card number is kept by no rule once used.
    personal(SensitiveIdentifier, "value", Category.UNIQUE_IDENTIFIER, mask={"rrn": "rrn", "naeil_card": "card"},
             mask_key="kind", label=_("Resident registration number / Naeil learning card number"),
             retention=(REFUND,)),
)

registry.declare(
    SensitiveIdentifierCorrection,
    # A correction keeps the old number only as staff see it (900101-1******), and why it was corrected.
    personal(SensitiveIdentifierCorrection, "previous_masked", Category.UNIQUE_IDENTIFIER, mask="partial",
             label=_("Previous number (masked)"), retention=(REFUND,)),
    personal(SensitiveIdentifierCorrection, "reason", Category.UNIQUE_IDENTIFIER, mask="partial",
             label=_("Reason for the correction"), retention=(REFUND,)),
)

registry.declare(
    Enrollment,
    personal(Enrollment, "applied_ip", Category.SERVICE_RECORD, mask="ip", label=_("IP address at application"),
             retention=(Retention.ECOMMERCE_CONTRACT,)),
    personal(Enrollment, "shipping_address", Category.SHIPPING, mask="address", label=_("Shipping address")),
    personal(Enrollment, "shipping_phone", Category.SHIPPING, mask="phone", label=_("Shipping phone")),
)

registry.declare(
    Complaint,
    personal(Complaint, "summary", Category.SERVICE_RECORD, mask="partial", label=_("Complaint summary"),
             retention=(Retention.ECOMMERCE_COMPLAINT,)),
)
