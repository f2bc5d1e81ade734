"""The API's JSON renderer: DRF's, its bytes written by orjson.

DRF's ``JSONRenderer`` calls the standard library's ``json.dumps``: 130 µs for a page of 20 tasks (12 kB) on a
2-CPU machine, against 10 µs for orjson's, the same bytes (issue 16's fixed cost, docs/performance.md). The output
stays DRF's, byte for byte:

- compact separators and UTF-8 as is (DRF's ``COMPACT_JSON`` and ``UNICODE_JSON``, both on), which orjson writes;
- what orjson does not write as the standard library does is handed to DRF's encoder (``default``): datetimes,
  dates and times (DRF's format: milliseconds, ``Z``), dataclasses, lazy translations, decimals, sets, bytes;
- U+2028 and U+2029 escaped, as DRF does (JSON inside a JavaScript string);
- anything orjson refuses (a key that is not a string, an integer past 64 bits, a type DRF's encoder refuses too)
  and anything asked in another shape (``Accept: application/json; indent=4``, settings that turn either setting
  off) is rendered by DRF's renderer, which answers or raises as before.

Two differences: a float with a negative exponent is the same number spelt shorter (``1e-7``, not ``1e-07``); a
float that is not a number (NaN, infinity) is written ``null``, where DRF's strict renderer raised (a 500). No field
of the API holds either.
"""

import orjson
from rest_framework import renderers
from rest_framework.utils import encoders

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_default = encoders.JSONEncoder().default
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None or not self.compact or self.ensure_ascii:
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATOR in body or _PARAGRAPH_SEPARATOR in body:
            body = body.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return body
