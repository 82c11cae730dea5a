"""shared_core.admin: SoftDeleteAdmin end to end through the Django test client and real admin."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.softdelete.models import Author, Book, Chapter, Contract

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:softdelete_author_changelist"


def make_user(email: str, *, superuser: bool = False, perms: tuple[str, ...] = ()):
    """Works for django.contrib.auth's User and for an email-login custom user model."""
    user_model = get_user_model()
    fields = {user_model.USERNAME_FIELD: email, "email": email, "password": "pw-0123456789"}
    manager = user_model._default_manager
    if superuser:
        return manager.create_superuser(**fields)
    user = manager.create_user(**fields)
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="softdelete", codename__in=perms)
    )
    return user


@pytest.fixture
def admin_client_(client):
    client.force_login(make_user("admin@example.com", superuser=True))
    return client


@pytest.fixture
def authors(library):
    gone = Author.objects.create(name="Gone Author", email="gone@example.com")
    gone.delete()
    return library["author"], gone


def post_action(client, action: str, objs, query: str = "", **extra):
    data = {"action": action, "_selected_action": [str(o.pk) for o in objs], **extra}
    return client.post(reverse(CHANGELIST) + query, data)


def test_changelist_filter_shows_active_by_default_then_deleted_or_all(admin_client_, authors):
    active, gone = authors
    listing = admin_client_.get(reverse(CHANGELIST))
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [active]
    assert "Gone Author" not in listing.content.decode()
    assert "?deleted=yes" in listing.content.decode()

    deleted = admin_client_.get(reverse(CHANGELIST), {"deleted": "yes"})
    assert list(deleted.context["cl"].queryset) == [gone]
    everything = admin_client_.get(reverse(CHANGELIST), {"deleted": "all"})
    assert set(everything.context["cl"].queryset) == {active, gone}


def test_actions_offered_replace_djangos_delete_selected(admin_client_, authors):
    actions = admin_client_.get(reverse(CHANGELIST)).context["action_form"].fields["action"]
    names = [name for name, _ in actions.choices]
    assert "delete_selected" not in names
    assert {"soft_delete_selected", "restore_selected", "hard_delete_selected"} <= set(names)


def test_soft_delete_then_restore_through_the_actions(admin_client_, authors):
    active, _gone = authors
    response = post_action(admin_client_, "soft_delete_selected", [active])
    assert response.status_code == 302
    assert Author.objects.count() == 0
    assert Book.objects.count() == 0 and Chapter.objects.count() == 0
    assert Book.all_objects.count() == 2
    assert LogEntry.objects.filter(object_id=str(active.pk), action_flag=CHANGE).exists()

    response = post_action(admin_client_, "restore_selected", [active], "?deleted=yes")
    assert response.status_code == 302
    assert list(Author.objects.all()) == [active]
    assert Book.objects.count() == 2 and Chapter.objects.count() == 4
    messages = [str(m) for m in admin_client_.get(reverse(CHANGELIST)).context["messages"]]
    assert any("Restored 1 author" in m for m in messages)


def test_soft_delete_action_reports_protected_children(admin_client_, authors):
    active, _gone = authors
    Contract.objects.create(author=active)
    assert post_action(admin_client_, "soft_delete_selected", [active]).status_code == 302
    response = admin_client_.get(reverse(CHANGELIST))
    assert Author.objects.filter(pk=active.pk).exists()
    assert any("Cannot delete" in str(m) for m in response.context["messages"])


def test_restore_action_reports_a_taken_value(admin_client_, authors):
    _active, gone = authors
    Author.objects.create(name="Taker", email=gone.email)
    post_action(admin_client_, "restore_selected", [gone], "?deleted=yes")
    assert Author.all_objects.get(pk=gone.pk).is_deleted
    messages = [str(m) for m in admin_client_.get(reverse(CHANGELIST)).context["messages"]]
    assert any("Cannot restore" in m for m in messages)


def test_hard_delete_needs_a_confirmation_then_deletes_for_real(admin_client_, authors):
    active, gone = authors
    confirm = post_action(admin_client_, "hard_delete_selected", [active, gone], "?deleted=all")
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "permanently delete" in page and 'value="hard_delete_selected"' in page
    assert "Book 0" in page  # the cascade Django will apply is listed
    assert Author.all_objects.count() == 2

    done = post_action(
        admin_client_, "hard_delete_selected", [active, gone], "?deleted=all", post="yes"
    )
    assert done.status_code == 302
    assert Author.all_objects.count() == 0 and Book.all_objects.count() == 0
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2


def test_hard_delete_needs_the_delete_permission(client, authors):
    active, _gone = authors
    client.force_login(
        make_user("staff@example.com", perms=("view_author", "change_author", "view_book"))
    )
    action_field = client.get(reverse(CHANGELIST)).context["action_form"].fields["action"]
    names = [name for name, _ in action_field.choices]
    assert "restore_selected" in names
    assert "hard_delete_selected" not in names and "soft_delete_selected" not in names

    response = post_action(client, "hard_delete_selected", [active], post="yes")
    assert response.status_code in (200, 302)
    assert Author.objects.filter(pk=active.pk).exists()


def test_change_view_of_a_deleted_row_works_and_keeps_it_deleted(admin_client_, authors):
    _active, gone = authors
    url = reverse("admin:softdelete_author_change", args=[gone.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert any("is deleted" in str(m) for m in page.context["messages"])
    assert "Deleted at" in page.content.decode()

    response = admin_client_.post(url, {"name": "Edited", "email": gone.email})
    assert response.status_code == 302, response.context["adminform"].form.errors
    fresh = Author.all_objects.get(pk=gone.pk)
    assert fresh.name == "Edited" and fresh.is_deleted


def test_the_delete_button_soft_deletes(admin_client_, authors):
    active, _gone = authors
    url = reverse("admin:softdelete_author_delete", args=[active.pk])
    assert admin_client_.get(url).status_code == 200
    assert admin_client_.post(url, {"post": "yes"}).status_code == 302
    assert Author.all_objects.get(pk=active.pk).is_deleted
    assert Book.objects.count() == 0 and Book.all_objects.count() == 2


def test_add_page_reports_a_value_taken_by_an_active_row_on_the_field(admin_client_, authors):
    taken = Author.objects.first()
    before = Author.all_objects.count()
    response = admin_client_.post(
        reverse("admin:softdelete_author_add"), {"name": "Copy", "email": taken.email}
    )
    assert response.status_code == 200  # the form again, not a 500/IntegrityError
    assert response.context["adminform"].form.errors == {
        "email": ["Author with this Email already exists."]
    }
    assert Author.all_objects.count() == before


def test_add_page_accepts_the_value_of_a_deleted_row(admin_client_, authors):
    gone = Author.objects.first()
    gone.delete()
    response = admin_client_.post(
        reverse("admin:softdelete_author_add"), {"name": "Again", "email": gone.email}
    )
    assert response.status_code == 302
    assert Author.objects.filter(email=gone.email).count() == 1
