"""Database sessions that know whose they are, so that ending a member's sessions (withdrawal, a changed
password) is one indexed DELETE instead of decoding every session of the site."""

from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberSession(AbstractBaseSession):
    member_id = models.BigIntegerField(_("member"), null=True, blank=True, db_index=True)

    class Meta(AbstractBaseSession.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):
        from members.sessions import SessionStore

        return SessionStore
