"""The count of values that cannot be decrypted, shown to the officer on the admin index."""

from django import template

register = template.Library()


@register.simple_tag
def decryption_failure_count(user) -> int | None:
    """How many stored values could not be decrypted; None for a user who may not see the ledger."""
    from members.models import DecryptionFailure

    if not user.has_perm("members.view_decryptionfailure"):
        return None
    return DecryptionFailure.objects.count()
