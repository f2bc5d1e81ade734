"""Service helpers that know no domain."""

from django.db import models


def model_update(*, instance: models.Model, fields: list[str], data: dict) -> tuple[models.Model, list[str]]:
    """Set the ``fields`` present in ``data`` that differ, validate and save only those.

    HackSoft Django-Styleguide's ``model_update``, returning the names of the changed fields (empty,
    so false, when nothing changed: then nothing is saved). Many-to-many fields are ``set()``
    after the save. An ``auto_now`` field (``updated_at``) is saved along with any change. Field
    validation (``full_clean``) covers the changed fields; uniqueness is left to the service and
    the database, which know what a clash means.
    """
    model_fields = {field.name: field for field in instance._meta.get_fields()}
    changed, many_to_many = [], {}
    for name in fields:
        if name not in data:
            continue
        field = model_fields[name]
        if field.many_to_many:
            many_to_many[name] = data[name]
        elif getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    if changed:
        auto_now = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
        unchanged = [f.name for f in instance._meta.fields if f.name not in changed]
        instance.full_clean(exclude=unchanged, validate_unique=False, validate_constraints=False)
        instance.save(update_fields=[*changed, *(name for name in auto_now if name not in changed)])
    for name, values in many_to_many.items():
        manager = getattr(instance, name)
        if set(manager.values_list("pk", flat=True)) != {getattr(v, "pk", v) for v in values}:
            manager.set(values)
            changed.append(name)
    return instance, changed
