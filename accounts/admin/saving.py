"""Admin saves through the services: add, change, delete and inline rows of the records whose fields
move readiness call `accounts.services`, so every one is audited (who, field, old, new) and the stored
per-court counts are recounted at once. Their forms refuse the characters no field may hold."""
from __future__ import annotations

from courts.input_checks import bad_character


def characters_checked(form_class):
    """`form_class` refusing, per field, a text value holding a character no field may hold (a
    control character, a line break: `courts.input_checks.bad_character`), as the imports and the
    court feed refuse it: one saved here would otherwise reach every page and export."""

    def clean(self):
        cleaned = form_class.clean(self)
        for name, value in list((cleaned or {}).items()):
            problem = bad_character(value) if isinstance(value, str) else None
            if problem:
                self.add_error(name, problem[:1].upper() + problem[1:] + ".")
        return cleaned

    return type(form_class.__name__, (form_class,), {"clean": clean})


class ServiceSavesAdmin:
    """Mixin for a ModelAdmin. `create(obj, by=)`, `update(obj, by=, **changes)` and `delete(obj, by=)`
    are the record's services; `inline_create` and `inline_update` those of its inline rows."""

    create = update = delete = inline_create = inline_update = None

    def get_form(self, request, obj=None, **kwargs):
        return characters_checked(super().get_form(request, obj, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield type(formset.__name__, (formset,), {"form": characters_checked(formset.form)}), inline

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
