from django.contrib.auth.backends import ModelBackend


class MemberBackend(ModelBackend):
    """Django's model backend, named as the project's own.

    The login ID is encrypted, so it is found through its blind index (MemberManager.get_by_natural_key)
    and its uniqueness lives on that index; Django's auth check only accepts that with a backend of the
    project's own (auth.W004, silenced in settings for that reason).
    """
