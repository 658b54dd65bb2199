"""The admin names every model in Korean, without an English plural "s" ("조직s")."""

import re

import pytest
from django.apps import apps
from django.utils import translation

from labelhub.accounts.models import User
from tests.factories import UserFactory

HANGUL = re.compile(r"[가-힣]")
LABELHUB_MODELS = [m for m in apps.get_models() if m.__module__.startswith("labelhub.")]


@pytest.mark.parametrize("model", LABELHUB_MODELS, ids=lambda model: model.__name__)
def test_every_model_has_korean_singular_and_plural_names(model) -> None:
    with translation.override("ko"):
        one, many = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)

    assert HANGUL.search(one), one
    assert HANGUL.search(many), many
    assert not many.endswith("s"), many


@pytest.mark.parametrize("model", LABELHUB_MODELS, ids=lambda model: model.__name__)
def test_every_model_has_an_english_plural_of_its_own(model) -> None:
    # Declared, not derived: the derived one is what turned into "조직s" in Korean.
    assert "verbose_name_plural" in model._meta.original_attrs or model is User


@pytest.mark.django_db
def test_the_korean_admin_index_lists_models_without_plural_s(client) -> None:
    client.force_login(UserFactory(role=User.Role.PM, is_staff=True, is_superuser=True))

    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert ">조직<" in page
    assert ">캠페인<" in page
    assert ">녹음<" in page
    assert not re.search(r"[가-힣]s<", page)
