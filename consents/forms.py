"""Sign-up and consent forms: they collect what the member typed and chose; the rules are in consents.services."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consents import selectors
from consents.models import ConsentItem
from consents.texts import consent_text, sha256

MEMBER_FIELDS = ("login_id", "name", "email", "mobile", "birth_date", "company_name", "department", "job_title",
                 "employee_number", "company_phone")


class SignupForm(forms.Form):
    login_id = forms.CharField(label=_("Login ID"), max_length=20,
                               help_text=_("4 to 20 lower-case letters, digits or underscores, starting with a "
                                           "letter."))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False),
                               help_text=_("At least 10 characters, not only digits, not like your login ID."))
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput(render_value=False))
    name = forms.CharField(label=_("Name"), max_length=50)
    email = forms.CharField(label=_("Email"), max_length=254, widget=forms.EmailInput)
    mobile = forms.CharField(label=_("Mobile phone"), max_length=20, help_text=_("As 010-1234-5678."))
    birth_date = forms.DateField(label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Under 14, a legal guardian must consent (PIPA §22-2)."))
    company_name = forms.CharField(label=_("Company name"), max_length=100, required=False)
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=50, required=False)
    employee_number = forms.CharField(label=_("Employee number"), max_length=30, required=False)
    company_phone = forms.CharField(label=_("Company phone"), max_length=20, required=False)
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=50, required=False)
    guardian_contact = forms.CharField(label=_("Guardian's mobile phone"), max_length=20, required=False)
    guardian_consent = forms.BooleanField(
        label=_("I am the member's legal guardian and I consent to the collection and use of the member's "
                "personal data as set out above."), required=False)
    policy_version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, items: list[ConsentItem], **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)
        self.items = items
        for item in items:
            text = consent_text(item)
            field = forms.BooleanField(label=_("I agree"), required=False)
            if item.required:
                field.widget.attrs["required"] = True
            field.item, field.text, field.text_sha256 = item, text, sha256(text)
            self.fields[f"consent_{item.code}"] = field

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("Password again: the two passwords differ."))
        return cleaned

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[f"consent_{item.code}"] for item in self.items]

    def decisions(self) -> dict[str, bool]:
        """Every consent_<code> the browser sent (a forged code included, for the service to refuse)."""
        return {key.removeprefix("consent_"): value in ("on", "true", "1")
                for key, value in self.data.items() if key.startswith("consent_")}

    def shown(self) -> dict[str, str]:
        return {key.removeprefix("shown_"): value for key, value in self.data.items() if key.startswith("shown_")}

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class MemberLoginForm(AuthenticationForm):
    """Django's login form; an account of a member under 14 opens only after the guardian's consent."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if selectors.needs_guardian_consent(user):
            raise ValidationError(
                _("This account of a member under 14 can be used once the legal guardian has consented "
                  "(PIPA §22-2). Please contact the privacy officer."), code="guardian_consent_missing")
