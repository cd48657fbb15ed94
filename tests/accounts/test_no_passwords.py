from django.apps import apps


def test_no_model_of_the_tracker_has_a_password_field():
    """Only logins are kept: no PACER or CM/ECF password is ever stored (Django's own users aside)."""
    offenders = [
        f"{model._meta.label}.{field.name}"
        for app in ("courts", "accounts", "rollout")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if any(word in field.name.lower() for word in ("password", "passwd", "secret"))
    ]
    assert offenders == []
