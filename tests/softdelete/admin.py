"""Admin registrations the SoftDeleteAdmin tests drive through the test client."""

from django.contrib import admin

from shared_core.admin import SoftDeleteAdmin
from tests.softdelete.models import Author, Book, Chapter


@admin.register(Author)
class AuthorAdmin(SoftDeleteAdmin):
    list_display = ["name", "email"]
    search_fields = ["name"]


@admin.register(Book)
class BookAdmin(SoftDeleteAdmin):
    list_display = ["title", "author"]


admin.site.register(Chapter, SoftDeleteAdmin)
