"""What every request reads about its person, cached: their user row, and what other apps derive from it
(their organizations, roles and second factor: ``organizations.access_cache``).

Each person has a **generation**, a random token in the cache that any change to what is cached for them
replaces (``changed``): their row saved or deleted, a membership of theirs added, changed or removed, an
organization of theirs changed or deleted, a second factor confirmed or removed. An entry is stored with
the generation read *before* its value was loaded from the database, and is used only while that is still
the person's generation. So a change that commits while a request is loading the old state leaves that
request's entry stale-tagged, never served again; and a change is seen by the very next request.

``changed`` replaces the generation at once and again when the transaction commits: at once so that the
rest of this transaction (and a test's) reads the new state, on commit so that an entry loaded by another
request between the two, from rows not yet committed, is dropped too.

The cache is an optimisation, never the truth: when it is unreachable, the value is loaded from the
database (one query, as before). Entries expire after ``PERSON_CACHE_SECONDS`` whatever happens, so a
change made where no code runs (SQL by hand) is seen within that time; through the ORM, the models'
signals (``save``, ``delete``) and their querysets (``PersonRowsQuerySet``: ``update``, and ``bulk_update``
through it, and ``bulk_create``, which send no signal) call ``changed``.
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import models, transaction

logger = logging.getLogger("security")

# The user's entry is a pickled model instance: one written by another version of Django is not read (Django
# warns when it unpickles one), so the version is part of its name.
USER_ENTRY = f"user.{django.get_version()}"


def _generation_key(user_id) -> str:
    return f"person-generation:{user_id}"


def _entry_key(name: str, user_id) -> str:
    return f"person-cache:{name}:{user_id}"


def changed(user_ids: Iterable) -> None:
    """What is cached about these people is out of date: every entry of theirs is dropped, now and on commit."""
    keys = [_generation_key(user_id) for user_id in {str(user_id) for user_id in user_ids if user_id is not None}]
    if not keys:
        return
    _renew(keys)
    transaction.on_commit(lambda: _renew(keys))


def _renew(keys: list[str]) -> None:
    try:
        cache.set_many({key: secrets.token_hex(8) for key in keys}, timeout=_generation_timeout())
    except Exception as exc:
        # The entries expire within PERSON_CACHE_SECONDS; say so loudly.
        logger.error("Could not renew person cache generations (%s): %s", type(exc).__name__, keys[:20])


def _generation_timeout() -> int:
    # Longer than any entry it validates: an expired generation only costs a reload.
    return settings.PERSON_CACHE_SECONDS * 4


# The entries read with the user, in the same round trip (``read_with_user``): those every request reads next.
_READ_WITH_USER: list[str] = []


def read_with_user(name: str) -> None:
    """Read the entry ``name`` in the same round trip as the user (``user``): for an entry that most requests
    read after authenticating (the organizations a person reaches)."""
    if name not in _READ_WITH_USER:
        _READ_WITH_USER.append(name)


@dataclass(frozen=True)
class Known:
    """What one request read of a person's cache: their generation and the entries read with the user."""

    generation: str
    entries: dict


def cached(name: str, user_id, load: Callable[[], object], *, known: Known | None = None):
    """``load()``'s value for this person, from the cache while their generation is the one it was stored with.

    ``known``: what this request read already (``user(...).person_cache``), which spares a round trip for an
    entry read with the user and a read of the generation for any other; None reads both.
    """
    try:
        if known is not None and name in known.entries:
            entry, generation = known.entries[name], known.generation
        elif known is not None:
            entry, generation = cache.get(_entry_key(name, user_id)), known.generation
        else:
            found = _read(user_id, [name])
            entry, generation = found.entries[name], found.generation
    except Exception as exc:  # the cache is an optimisation; the database is the truth
        logger.warning("Person cache unavailable: %s", type(exc).__name__)
        return load()
    return _value(name, user_id, entry, generation, load)


def _read(user_id, names: list[str], extra_keys: Iterable[str] = ()) -> Known:
    """The entries ``names`` (None where absent), the person's generation and ``extra_keys`` (as entries under
    their key): one round trip to the cache."""
    generation_key = _generation_key(user_id)
    keys = {_entry_key(name, user_id): name for name in names}
    found = cache.get_many([*keys, generation_key, *extra_keys])
    entries = {name: found.get(key) for key, name in keys.items()}
    entries.update((key, found.get(key)) for key in extra_keys)
    return Known(generation=found.get(generation_key) or _start_generation(generation_key), entries=entries)


def _value(name: str, user_id, entry: tuple | None, generation: str, load: Callable[[], object]):
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = load()
    try:
        cache.set(_entry_key(name, user_id), (generation, value), timeout=settings.PERSON_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Person cache unavailable: %s", type(exc).__name__)
    return value


def _start_generation(key: str) -> str:
    """A generation for a person who has none in the cache (first request, or expired): the first one stored wins."""
    token = secrets.token_hex(8)
    if cache.add(key, token, timeout=_generation_timeout()):
        return token
    return cache.get(key) or token


def user(user_id, *, extra_keys: Iterable[str] = ()):
    """The user with this id (None if there is none), as ``User.objects.filter(pk=user_id).first()`` reads it,
    and the values of ``extra_keys`` in the cache (a dict; empty when the cache is unreachable), read in the
    same round trip (the session's state).

    The user carries ``person_cache`` (``Known``): the entries read with it (``read_with_user``) and the
    generation, for ``cached(..., known=user.person_cache)`` later in the request."""
    model = get_user_model()

    def load():
        return model.objects.filter(pk=user_id).first()

    extra_keys = list(extra_keys)
    try:
        known = _read(user_id, [USER_ENTRY, *_READ_WITH_USER], extra_keys)
    except Exception as exc:
        logger.warning("Person cache unavailable: %s", type(exc).__name__)
        return load(), {}
    result = _value(USER_ENTRY, user_id, known.entries.pop(USER_ENTRY), known.generation, load)
    extras = {key: known.entries.pop(key) for key in extra_keys}
    if result is not None:
        result.person_cache = known
    return result, extras


def user_row_changed(sender, instance, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of the user model (connected in ``accounts.apps``)."""
    changed([instance.pk])


def person_row_changed(sender, instance, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of a row that belongs to one person through ``user_id`` (a membership,
    a second factor): what is cached about that person is out of date."""
    if instance.user_id is not None:
        changed([instance.user_id])


class PersonRowsQuerySet(models.QuerySet):
    """The queryset of a model whose rows what is cached here derives from (users, memberships, organizations):
    its writes that send no signal tell the cache whose entries they change, as ``save`` and ``delete`` do
    through the signals. ``person_path`` leads from a row to its people's user ids."""

    person_path = "pk"

    def update(self, **kwargs):
        people = list(self.values_list(self.person_path, flat=True))  # before: the update may move rows out
        updated = super().update(**kwargs)
        changed(people)
        return updated

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        pks = [obj.pk for obj in created if obj.pk is not None]
        changed(self.model._base_manager.filter(pk__in=pks).values_list(self.person_path, flat=True))
        return created

    bulk_create.alters_data = True
