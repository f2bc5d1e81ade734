import hashlib
import uuid
from datetime import timedelta

import factory
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.models import MfaChallenge, RecoveryCode, SecondFactorUser
from tests.factories.accounts import UserFactory


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator app: two-factor sign-in is on for its user. ``totp_code(device)`` makes its codes."""

    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


def totp_code(device: TOTPDevice, *, at: float | None = None, offset_steps: int = 0) -> str:
    """The code the person's app shows at ``at`` (now by default), ``offset_steps`` steps later."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = (at if at is not None else timezone.now().timestamp()) + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


class RecoveryCodeFactory(factory.django.DjangoModelFactory):
    """A row with a hash of nothing in particular: ``mfa.services`` makes usable codes."""

    class Meta:
        model = RecoveryCode

    user = factory.SubFactory(UserFactory)
    code_hash = factory.LazyFunction(lambda: hashlib.sha256(uuid.uuid4().bytes).hexdigest())


class MfaChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MfaChallenge

    user = factory.SubFactory(UserFactory)
    token_hash = factory.LazyFunction(lambda: hashlib.sha256(uuid.uuid4().bytes).hexdigest())
    method = "password"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=5))


class SecondFactorUserFactory(UserFactory):
    class Meta:
        model = SecondFactorUser
        skip_postgeneration_save = True
