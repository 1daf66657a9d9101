"""Forms of the officer's console that are not ModelForms; they only collect input for the services."""

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _


class PermissionsField(forms.ModelMultipleChoiceField):
    """Permissions labelled in the reader's language (their stored names are English)."""

    def label_from_instance(self, obj: Permission) -> str:
        from members.staff_access import permission_label

        return permission_label(obj)


def permissions_field(**kwargs) -> PermissionsField:
    return PermissionsField(
        Permission.objects.select_related("content_type").order_by("content_type__app_label",
                                                                   "content_type__model", "codename"),
        label=_("permissions"), required=False, widget=FilteredSelectMultiple(_("permissions"), is_stacked=False),
        **kwargs)


class StaffAccessForm(forms.Form):
    """Input for members.staff_access.staff_access_change; the service names every refusal's field."""

    is_staff = forms.BooleanField(label=_("staff status"), required=False,
                                  help_text=_("May log in to this console."))
    is_superuser = forms.BooleanField(label=_("superuser status"), required=False,
                                      help_text=_("Holds every permission without granting them one by one."))
    groups = forms.ModelMultipleChoiceField(Group.objects.order_by("name"), label=_("groups"), required=False,
                                            widget=FilteredSelectMultiple(_("groups"), is_stacked=False))
    permissions = permissions_field()
    # Not required here: the service refuses a blank reason with a message that names the field.
    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Why the access changes; kept in the record for three years."))


class GroupAccessForm(forms.ModelForm):
    """A group's name and permissions, with the reason; members.staff_access names every refusal's field."""

    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Why the access changes; kept in the record for three years."))
    permissions = permissions_field()
    actor = None  # the account making the change; the admin sets it per request

    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False  # the service names the field when it is blank

    def validate_unique(self) -> None:
        """The service checks the name, with a message that names the field."""

    def clean(self) -> dict:
        from members.staff_access import group_access_errors

        cleaned = super().clean()
        errors = group_access_errors(actor=self.actor, group=self.instance, name=cleaned.get("name") or "",
                                     permissions=cleaned.get("permissions") or [], reason=cleaned.get("reason") or "")
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)
        return cleaned
