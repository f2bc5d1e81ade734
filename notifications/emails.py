"""Email to a person, from templates under ``templates/emails/``: ``NAME_subject.txt``, ``NAME.txt``, ``NAME.html``."""

import contextlib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string


def send(*, to: str, template: str, context: dict) -> None:
    context = {"frontend_url": settings.FRONTEND_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    with contextlib.suppress(TemplateDoesNotExist):  # the HTML part is optional
        message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()
