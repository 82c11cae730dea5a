"""accounts.admin_site: a consumer service's admin leaves the identity owner's models out."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.admin_site import ConsumerAdminSite
from accounts.models import User
from services.ticket_service.tickets.models import Comment, Ticket


def test_identity_models_are_not_registered_on_a_consumer_site():
    site = ConsumerAdminSite(name="consumer-test")
    site.register(User)
    site.register([Group, SocialAccount])
    assert not any(site.is_registered(model) for model in (User, Group, SocialAccount))


def test_the_services_own_models_are_registered_with_their_admin_class():
    site = ConsumerAdminSite(name="consumer-test")

    class TicketAdmin(admin.ModelAdmin):
        list_display = ["title"]

    site.register([Ticket, User], TicketAdmin)
    site.register(Comment)
    assert site.is_registered(Ticket) and site.is_registered(Comment)
    assert not site.is_registered(User)
    assert isinstance(site.get_model_admin(Ticket), TicketAdmin)
