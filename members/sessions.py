"""SESSION_ENGINE = "members.sessions": Django's database sessions, each row naming the member signed in."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from members.models import MemberSession

        return MemberSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        member_id = data.get(SESSION_KEY)
        session.member_id = int(member_id) if str(member_id or "").isdigit() else None
        return session
