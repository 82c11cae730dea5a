"""shared_core.checks: warnings for uniqueness that counts deleted rows and for leaky managers."""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from shared_core.checks import check_base_models, check_model, check_service_urls
from shared_core.models import BaseModel, SoftDeleteManager, unique_among_active
from shared_core.soft_delete import iter_soft_delete_models


def ids(messages):
    return [m.id for m in messages]


def test_the_check_is_registered_and_the_suites_models_pass():
    assert check_base_models in checks.registry.registry.get_checks()
    assert check_base_models in checks.registry.registry.get_checks(include_deployment_checks=True)
    messages = checks.run_checks(tags=[checks.Tags.models])
    assert [m for m in messages if m.id.startswith("shared_core.")] == []
    assert check_base_models(app_configs=[apps.get_app_config("softdelete")]) == []


@isolate_apps("tests.softdelete")
def test_a_plain_unique_field_warns_and_points_at_the_helper():
    class Account(BaseModel):
        email = models.EmailField(unique=True)
        code = models.CharField(max_length=10)
        owner = models.OneToOneField("self", on_delete=models.CASCADE, null=True)

        class Meta:
            app_label = "softdelete"
            unique_together = [("code", "email")]
            constraints = [
                models.UniqueConstraint(fields=["code"], name="account_code_uniq"),
                unique_among_active("email", "code", name="account_ok"),
            ]

    messages = check_model(Account)
    assert ids(messages) == ["shared_core.W001"] * 3
    assert all(isinstance(m, checks.Warning) for m in messages)
    # A one-to-one link is unique over all rows on purpose (restore stays exact): no warning.
    assert messages[0].obj == Account._meta.get_field("email")
    assert "unique_among_active" in messages[0].hint
    assert "account_code_uniq" in messages[2].msg
    assert "account_ok" not in " ".join(m.msg for m in messages)


@isolate_apps("tests.softdelete")
def test_models_using_the_helper_and_plain_models_are_fine():
    class Clean(BaseModel):
        slug = models.SlugField()

        class Meta:
            app_label = "softdelete"
            constraints = [unique_among_active("slug", name="clean_slug")]

    class NotSoft(models.Model):
        slug = models.SlugField(unique=True)

        class Meta:
            app_label = "softdelete"

    assert check_model(Clean) == []
    # Only concrete BaseModel subclasses are checked.
    assert list(iter_soft_delete_models([Clean, NotSoft, BaseModel])) == [Clean]


@isolate_apps("tests.softdelete")
def test_a_default_manager_that_is_not_soft_delete_aware_warns():
    class Leaky(BaseModel):
        everything = models.Manager()  # declared on the subclass: becomes the default manager

        class Meta:
            app_label = "softdelete"

    class Combined(BaseModel):
        class Manager(SoftDeleteManager, models.Manager):
            pass

        objects = Manager()

        class Meta:
            app_label = "softdelete"

    messages = check_model(Leaky)
    assert ids(messages) == ["shared_core.W002"]
    assert "Leaky" in messages[0].msg and "SoftDeleteManager" in messages[0].hint
    assert check_model(Combined) == []


def test_the_service_url_check_passes_for_the_suites_settings():
    assert check_service_urls in checks.registry.registry.get_checks()
    assert check_service_urls() == []


def test_a_service_whose_url_setting_is_missing_is_an_error(settings):
    settings.SERVICE_URL_SETTINGS = {"billing-service": "BILLING_SERVICE_URL"}
    (error,) = check_service_urls()
    assert error.id == "shared_core.E001"
    assert "BILLING_SERVICE_URL" in error.msg
    assert "billing-service" in error.hint


def test_service_url_settings_that_is_not_a_dict_is_an_error(settings):
    settings.SERVICE_URL_SETTINGS = ["IDENTITY_SERVICE_URL"]
    assert ids(check_service_urls()) == ["shared_core.E001"]
