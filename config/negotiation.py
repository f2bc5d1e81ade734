"""Content negotiation for views whose ``?format=`` chooses the answer (JSON or a CSV download)."""

from types import SimpleNamespace

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class FormatParameterNegotiation(DefaultContentNegotiation):
    """``?format=`` is the view's own parameter, not DRF's renderer switch; errors always answer JSON.

    Without this, DRF would answer ``?format=csv`` with a 404 for want of a CSV renderer, and a
    download requested with ``Accept: text/csv`` with a 406: the view writes the CSV itself, and any
    error it raises is rendered by the first renderer (JSON).
    """

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
