"""Forms of the officer's console that are not ModelForms; they only collect input for the services."""

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _


class StaffAccessForm(forms.Form):
    """Input for members.staff_access.staff_access_change; the service names every refusal's field."""

    is_staff = forms.BooleanField(label=_("staff status"), required=False,
                                  help_text=_("May log in to this console."))
    is_superuser = forms.BooleanField(label=_("superuser status"), required=False,
                                      help_text=_("Holds every permission without granting them one by one."))
    groups = forms.ModelMultipleChoiceField(Group.objects.order_by("name"), label=_("groups"), required=False,
                                            widget=FilteredSelectMultiple(_("groups"), is_stacked=False))
    permissions = forms.ModelMultipleChoiceField(
        Permission.objects.select_related("content_type").order_by("content_type__app_label",
                                                                   "content_type__model", "codename"),
        label=_("permissions"), required=False, widget=FilteredSelectMultiple(_("permissions"), is_stacked=False))
    # Not required here: the service refuses a blank reason with a message that names the field.
    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Why the access changes; kept in the record for three years."))
