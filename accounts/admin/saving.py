"""Admin saves through the services: add, change, delete and inline rows of the records whose fields
move readiness call `accounts.services`, so every one is audited (who, field, old, new) and the stored
per-court counts are recounted at once."""
from __future__ import annotations


class ServiceSavesAdmin:
    """Mixin for a ModelAdmin. `create(obj, by=)`, `update(obj, by=, **changes)` and `delete(obj, by=)`
    are the record's services; `inline_create` and `inline_update` those of its inline rows."""

    create = update = delete = inline_create = inline_update = None

    def save_model(self, request, obj, form, change):
        if not change:
            self.create(obj, by=request.user)
            return
        fields = {f.name for f in obj._meta.concrete_fields}
        self.update(obj, by=request.user, **{name: getattr(obj, name) for name in form.changed_data
                                            if name in fields and name in form.cleaned_data})

    def delete_model(self, request, obj):
        self.delete(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete(obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for obj in formset.new_objects:
            self.inline_create(obj, by=request.user)
        for obj, fields in formset.changed_objects:
            self.inline_update(obj, by=request.user, **{name: getattr(obj, name) for name in fields})
        formset.save_m2m()  # the inlines of these admins have can_delete = False
