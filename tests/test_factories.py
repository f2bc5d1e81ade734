"""Every model of the project has a factory in tests/factories/, and each factory makes a valid row."""

import pytest
from django.apps import apps

import tests.factories

FACTORIES = [getattr(tests.factories, name) for name in tests.factories.__all__ if name.endswith("Factory")]


def test_every_model_of_the_project_has_a_factory():
    ours = {model for model in apps.get_models() if "site-packages" not in model._meta.app_config.path}
    assert ours - {factory._meta.model for factory in FACTORIES} == set()


@pytest.mark.django_db
@pytest.mark.parametrize("factory", FACTORIES, ids=lambda factory: factory.__name__)
def test_the_factory_makes_a_valid_row(factory):
    row = factory()
    row.full_clean()
    assert type(row).objects.filter(pk=row.pk).exists()
