from django.apps import AppConfig


class ApiTestConfig(AppConfig):
    name = "tests.apitest"
    label = "apitest"
    default_auto_field = "django.db.models.BigAutoField"
