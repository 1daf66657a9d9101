"""Staff flags, superuser, groups and permissions change only through staff_access_change: never on one's own
account, never granting more than the actor holds, each change recorded (안전성 확보조치 기준 §5)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from members.models import Member, StaffAccessChange
from members.models.staff_access import StaffAccessChangeError
from members.staff_access import staff_access_change, staff_access_of
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _perm(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _staff(*permissions: str, **fields) -> Member:
    member = MemberFactory(is_staff=True, **fields)
    member.user_permissions.set([_perm(p) for p in permissions])
    return Member.objects.get(pk=member.pk)  # fresh permission cache


@pytest.fixture
def officer():
    return MemberFactory(login_id="officer", is_staff=True, is_superuser=True)


@pytest.fixture
def manager():
    return _staff("members.manage_staff_access", "members.view_member", "members.change_member")


def test_the_member_form_no_longer_takes_staff_flags_groups_or_permissions(officer):
    # given a staff account that may change members (but holds no staff-access permission)
    editor = _staff("members.view_member", "members.change_member")
    group = Group.objects.create(name="everything")
    group.permissions.set(Permission.objects.all())
    client = Client()
    client.force_login(editor)
    # when it posts superuser, staff, a group and a permission for itself and against the officer
    for target in (editor, officer):
        client.post(f"/admin/members/member/{target.pk}/change/",
                    {"is_superuser": "on", "is_staff": "" if target == officer else "on", "groups": [group.pk],
                     "user_permissions": [_perm("members.manage_staff_access").pk]})
    # then nothing changed
    editor.refresh_from_db()
    officer.refresh_from_db()
    assert not editor.is_superuser
    assert not editor.groups.exists()
    assert editor.user_permissions.count() == 2
    assert officer.is_superuser
    assert officer.is_staff
    assert not StaffAccessChange.objects.exists()


def test_a_change_is_recorded_with_actor_member_before_after_and_reason(manager):
    # given a member and a group whose permissions the manager holds
    member = MemberFactory()
    group = Group.objects.create(name="viewers")
    group.permissions.set([_perm("members.view_member")])
    # when the manager makes the member staff in that group
    record = staff_access_change(actor=manager, member=member, is_staff=True, is_superuser=False, groups=[group],
                                 permissions=[_perm("members.change_member")], reason="  신규 상담 직원  ")
    # then the member has that access and the record says who, whom, before, after and why
    member.refresh_from_db()
    assert member.is_staff
    assert list(member.groups.all()) == [group]
    record = StaffAccessChange.objects.get()
    assert (record.actor, record.member, record.reason) == (manager, member, "신규 상담 직원")
    assert record.before == {"is_staff": False, "is_superuser": False, "groups": [], "permissions": []}
    assert record.after == {"is_staff": True, "is_superuser": False, "groups": ["viewers"],
                            "permissions": ["members.change_member"]}
    assert record.after == staff_access_of(member)


def test_no_one_changes_their_own_access(manager, officer):
    with pytest.raises(ValidationError) as refused:
        staff_access_change(actor=manager, member=manager, is_staff=True, is_superuser=False, groups=[],
                            permissions=[_perm("members.manage_staff_access"), _perm("members.delete_member")],
                            reason="self")
    assert "own account" in str(refused.value)
    with pytest.raises(ValidationError):
        staff_access_change(actor=officer, member=officer, is_staff=False, is_superuser=False, groups=[],
                            permissions=[], reason="self")
    assert not StaffAccessChange.objects.exists()


def test_only_a_superuser_grants_superuser_or_touches_a_superuser(manager, officer):
    member = MemberFactory(is_staff=True)
    with pytest.raises(ValidationError) as refused:
        staff_access_change(actor=manager, member=member, is_staff=True, is_superuser=True, groups=[],
                            permissions=[], reason="promote")
    assert "is_superuser" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        staff_access_change(actor=manager, member=officer, is_staff=True, is_superuser=False, groups=[],
                            permissions=[], reason="demote the officer")
    assert "is_superuser" in refused.value.error_dict
    officer.refresh_from_db()
    assert officer.is_superuser
    # a superuser may
    staff_access_change(actor=officer, member=member, is_staff=True, is_superuser=True, groups=[], permissions=[],
                        reason="second officer")
    member.refresh_from_db()
    assert member.is_superuser


def test_no_one_grants_a_permission_they_do_not_hold_directly_or_through_a_group(manager):
    member = MemberFactory(is_staff=True)
    admins = Group.objects.create(name="admins")
    admins.permissions.set([_perm("members.delete_member"), _perm("members.view_member")])
    with pytest.raises(ValidationError) as refused:
        staff_access_change(actor=manager, member=member, is_staff=True, is_superuser=False, groups=[admins],
                            permissions=[_perm("members.view_sensitiveidentifier")], reason="more")
    assert set(refused.value.error_dict) == {"groups", "permissions"}
    assert "members.delete_member" in str(refused.value.error_dict["groups"])
    assert "members.view_sensitiveidentifier" in str(refused.value.error_dict["permissions"])
    assert not member.groups.exists()
    assert not member.user_permissions.exists()


def test_an_account_without_the_permission_cannot_change_access():
    editor = _staff("members.change_member")
    with pytest.raises(PermissionDenied):
        staff_access_change(actor=editor, member=MemberFactory(), is_staff=True, is_superuser=False, groups=[],
                            permissions=[], reason="x")


def test_a_reason_is_required(manager):
    with pytest.raises(ValidationError) as refused:
        staff_access_change(actor=manager, member=MemberFactory(), is_staff=True, is_superuser=False, groups=[],
                            permissions=[], reason=" ")
    assert "reason" in refused.value.error_dict


def test_the_record_is_append_only_and_read_only_in_the_admin(manager, officer):
    record = staff_access_change(actor=manager, member=MemberFactory(), is_staff=True, is_superuser=False,
                                 groups=[], permissions=[], reason="hire")
    with pytest.raises(StaffAccessChangeError):
        record.save()
    with pytest.raises(StaffAccessChangeError):
        record.delete()
    client = Client()
    client.force_login(officer)
    assert client.get("/admin/members/staffaccesschange/").status_code == 200
    assert client.get(f"/admin/members/staffaccesschange/{record.pk}/change/").status_code == 200
    assert client.get(f"/admin/members/staffaccesschange/{record.pk}/delete/").status_code == 403
    assert client.post(f"/admin/members/staffaccesschange/{record.pk}/change/", {"reason": "x"}).status_code == 403


def test_the_staff_access_page_changes_access_through_the_service(manager):
    member = MemberFactory()
    client = Client()
    client.force_login(manager)
    url = f"/admin/members/member/{member.pk}/staff-access/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"is_staff": "on", "permissions": [_perm("members.view_member").pk],
                                 "reason": "상담 업무"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_staff
    assert StaffAccessChange.objects.get().member == member


def test_the_staff_access_page_shows_refusals_under_their_fields_in_korean(manager):
    client = Client()
    client.force_login(manager)
    member = MemberFactory()
    with translation.override("ko"):
        response = client.post(f"/admin/members/member/{member.pk}/staff-access/",
                               {"is_superuser": "on", "reason": ""}, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"is_superuser", "reason"}
    page = response.content.decode()
    assert "최고관리자" in page
    assert "사유" in page
    assert not StaffAccessChange.objects.exists()


def test_the_staff_access_page_needs_the_permission():
    editor = _staff("members.view_member", "members.change_member")
    client = Client()
    client.force_login(editor)
    assert client.get(f"/admin/members/member/{MemberFactory().pk}/staff-access/").status_code == 403


def test_createsuperuser_still_creates_an_officer():
    officer = Member.objects.create_superuser(login_id="newofficer", password="officer-Passphrase-2023",
                                              name="김관리", email="new.officer@example.com")
    assert officer.is_superuser
    assert officer.is_staff


def test_a_group_cannot_be_used_to_grant_oneself_permissions():
    # given staff who may change groups and belong to one, without the staff-access permission
    staff = _staff("auth.view_group", "auth.change_group")
    group = Group.objects.create(name="상담")
    staff.groups.add(group)
    client = Client()
    client.force_login(staff)
    # when they add every permission to their own group through the admin
    response = client.post(f"/admin/auth/group/{group.pk}/change/",
                           {"name": "상담", "permissions": list(Permission.objects.values_list("pk", flat=True)),
                            "reason": "x"})
    # then it is refused and the group is unchanged
    assert response.status_code == 403
    assert not group.permissions.exists()


def test_group_changes_follow_the_member_rules_and_are_recorded(manager):
    own = Group.objects.create(name="own")
    manager.groups.add(own)
    other = Group.objects.create(name="other")
    client = Client()
    manager.user_permissions.add(_perm("auth.view_group"), _perm("auth.change_group"), _perm("auth.add_group"))
    manager = Member.objects.get(pk=manager.pk)  # fresh permission cache
    client.force_login(manager)
    # never one's own group
    response = client.post(f"/admin/auth/group/{own.pk}/change/",
                           {"name": "own", "permissions": [_perm("members.view_member").pk], "reason": "x"})
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    # never a permission one does not hold
    response = client.post(f"/admin/auth/group/{other.pk}/change/",
                           {"name": "other", "permissions": [_perm("members.delete_member").pk], "reason": "x"})
    assert "permissions" in response.context["adminform"].form.errors
    # a reason is required
    response = client.post(f"/admin/auth/group/{other.pk}/change/",
                           {"name": "other", "permissions": [_perm("members.view_member").pk], "reason": ""})
    assert "reason" in response.context["adminform"].form.errors
    assert not StaffAccessChange.objects.exists()
    # a permitted change is made and recorded
    response = client.post(f"/admin/auth/group/{other.pk}/change/",
                           {"name": "other", "permissions": [_perm("members.view_member").pk], "reason": "열람 담당"})
    assert response.status_code == 302
    record = StaffAccessChange.objects.get()
    assert (record.group, record.member, record.actor) == (other, None, manager)
    assert record.before == {"name": "other", "permissions": []}
    assert record.after == {"name": "other", "permissions": ["members.view_member"]}
    # and groups are never deleted here
    assert client.get(f"/admin/auth/group/{other.pk}/delete/").status_code == 403
