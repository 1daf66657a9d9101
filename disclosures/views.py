"""The invitation a member imported from a partner company follows to set a password."""

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from members.services import member_password_set


class InvitationPasswordForm(SetPasswordForm):
    """Django's form, saved through the members service (password validators, Argon2)."""

    def save(self, commit: bool = True):
        return member_password_set(member=self.user, password=self.cleaned_data["new_password1"])


class InvitationView(auth_views.PasswordResetConfirmView):
    """Django's password-reset token: valid once, for PASSWORD_RESET_TIMEOUT (3 days by default). After it, the
    member logs in and is asked for the required consents of the policy in force (consents' renew page)."""

    form_class = InvitationPasswordForm
    template_name = "disclosures/invitation.html"
    success_url = reverse_lazy("consents:login")
    reset_url_token = "set-password"

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Log in to review your consents."))
        return response
