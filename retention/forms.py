from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from retention.models import LegalHold, RetentionRule


class RetentionRuleForm(forms.ModelForm):
    """A rule's change; shortening a period needs the reason (checked by retention_rule_update)."""

    reason = forms.CharField(label=pgettext_lazy("retention", "reason"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}), help_text=_("Required when the retention period gets shorter."))

    class Meta:
        model = RetentionRule
        fields = ["data_category", "legal_basis", "period_amount", "period_unit", "trigger", "active"]


class LegalHoldForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ["member", "reason", "until"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=pgettext_lazy("retention", "reason"), widget=forms.Textarea(attrs={"rows": 2}))
