"""Admin support for :class:`shared_core.models.BaseModel`: ``SoftDeleteAdmin`` (and its mixin).

- A "deleted" list filter: *Active* (the default), *Deleted*, *All*.
- Actions: soft-delete (delete permission), restore (change permission), hard delete (delete
  permission and a confirmation page listing everything Django's cascade will remove). Django's
  own ``delete_selected`` is replaced by the soft one.
- The change view opens deleted rows too (with a warning), and the delete button soft-deletes
  (``ModelAdmin.delete_model`` calls ``obj.delete()``).

Usage::

    @admin.register(Ticket)
    class TicketAdmin(SoftDeleteAdmin):
        list_display = ["title"]
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shared_core.soft_delete import RestoreConflictError

SOFT_DELETE_READONLY_FIELDS = ("created_at", "updated_at", "deleted_at")


class DeletedListFilter(admin.SimpleListFilter):
    """Active rows by default; ``?deleted=yes`` shows deleted rows, ``?deleted=all`` all."""

    title = gettext_lazy("deleted")
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [
            ("no", gettext_lazy("Active")),
            ("yes", gettext_lazy("Deleted")),
            ("all", gettext_lazy("All")),
        ]

    def choices(self, changelist: Any) -> Any:
        # No separate "All" entry pointing at "no parameter": no parameter means "Active".
        current = self.value() or "no"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "yes":
            return queryset.deleted()
        if value == "all":
            return queryset.with_deleted()
        return queryset.active()


class SoftDeleteAdminMixin:
    """Soft-delete behaviour for a ``ModelAdmin`` of a BaseModel (put it before ``ModelAdmin``)."""

    hard_delete_confirmation_template = "shared_core/admin/hard_delete_selected_confirmation.html"

    # --- what the admin sees ---------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Every row, so deleted ones open in the change view; the list filter shows active."""
        return super().get_queryset(request).with_deleted()  # type: ignore[misc]

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [DeletedListFilter, *super().get_list_filter(request)]  # type: ignore[misc]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        display = list(super().get_list_display(request))  # type: ignore[misc]
        return [*display, "is_deleted_display"] if "is_deleted" not in display else display

    @admin.display(description=gettext_lazy("deleted"), boolean=True, ordering="deleted_at")
    def is_deleted_display(self, obj: Any) -> bool:
        return obj.is_deleted

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return [*fields, *(f for f in SOFT_DELETE_READONLY_FIELDS if f not in fields)]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
            if obj is not None and obj.is_deleted:
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    _("This %(name)s is deleted (since %(when)s); restore it from the list.")
                    % {"name": obj._meta.verbose_name, "when": obj.deleted_at},
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    # --- actions -----------------------------------------------------------------------------

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        # Django's delete_selected would soft-delete too, but its page promises a hard cascade.
        actions.pop("delete_selected", None)
        return actions

    actions = ["soft_delete_selected", "restore_selected", "hard_delete_selected"]

    @admin.action(
        permissions=["delete"],
        description=gettext_lazy("Delete selected %(verbose_name_plural)s (can be restored)"),
    )
    def soft_delete_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Soft-delete the selected rows and their BaseModel children."""
        objs = list(queryset.active())
        try:
            count, _per_model = queryset.delete()
        except (ProtectedError, RestrictedError) as exc:
            blocking = getattr(exc, "protected_objects", None) or exc.restricted_objects
            self.message_user(  # type: ignore[attr-defined]
                request,
                _("Cannot delete: still referenced by %(objects)s.")
                % {"objects": ", ".join(sorted(str(o) for o in blocking)[:10])},
                messages.ERROR,
            )
            return
        for obj in objs:
            self.log_change(request, obj, _("Deleted (can be restored)."))  # type: ignore[attr-defined]
        self.message_user(  # type: ignore[attr-defined]
            request,
            _(
                "Deleted %(count)d %(items)s (%(total)d rows with their children); they can be "
                "restored."
            )
            % {
                "count": len(objs),
                "items": model_ngettext(self.opts, len(objs)),  # type: ignore[attr-defined]
                "total": count,
            },
            messages.SUCCESS,
        )

    @admin.action(
        permissions=["change"], description=gettext_lazy("Restore selected %(verbose_name_plural)s")
    )
    def restore_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Restore the selected deleted rows and the children deleted with them."""
        objs = list(queryset.deleted())
        try:
            count, _per_model = queryset.restore()
        except (RestoreConflictError, ValidationError) as exc:
            self.message_user(  # type: ignore[attr-defined]
                request,
                _("Cannot restore: %(error)s") % {"error": exc},
                messages.ERROR,
            )
            return
        for obj in objs:
            self.log_change(request, obj, _("Restored."))  # type: ignore[attr-defined]
        self.message_user(  # type: ignore[attr-defined]
            request,
            _("Restored %(count)d %(items)s (%(total)d rows with their children).")
            % {
                "count": len(objs),
                "items": model_ngettext(self.opts, len(objs)),  # type: ignore[attr-defined]
                "total": count,
            },
            messages.SUCCESS,
        )

    @admin.action(
        permissions=["delete"],
        description=gettext_lazy("Permanently delete selected %(verbose_name_plural)s"),
    )
    def hard_delete_selected(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        """Really delete the selected rows after a confirmation page, like Django's action."""
        opts = self.model._meta  # type: ignore[attr-defined]
        deletable, model_count, perms_needed, protected = self.get_deleted_objects(  # type: ignore[attr-defined]
            queryset, request
        )
        if request.POST.get("post") and not protected:
            if perms_needed:
                raise PermissionDenied
            n = queryset.count()
            if n:
                self.log_deletions(request, queryset)  # type: ignore[attr-defined]
                queryset.hard_delete()
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    _("Permanently deleted %(count)d %(items)s.")
                    % {"count": n, "items": model_ngettext(self.opts, n)},  # type: ignore[attr-defined]
                    messages.SUCCESS,
                )
            return None
        objects_name = model_ngettext(queryset)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("Permanently delete %(name)s") % {"name": objects_name},
            "subtitle": None,
            "objects_name": str(objects_name),
            "deletable_objects": [deletable],
            "model_count": dict(model_count).items(),
            "queryset": queryset,
            "perms_lacking": perms_needed,
            "protected": protected,
            "opts": opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,  # type: ignore[attr-defined]
        }
        request.current_app = self.admin_site.name  # type: ignore[attr-defined]
        return TemplateResponse(request, self.hard_delete_confirmation_template, context)


class SoftDeleteAdmin(SoftDeleteAdminMixin, admin.ModelAdmin):
    """``ModelAdmin`` for a BaseModel: deleted filter, soft/restore/hard-delete actions."""
