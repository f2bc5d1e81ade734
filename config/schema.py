"""OpenAPI generation: every operation documents the error envelope for the failures it can answer."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_manager, get_view_model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from config import idempotency_keys
from config.conditional import PreconditionMixin
from config.error_codes import catalogue_markdown
from config.filters import MAX_FILTER_VALUES
from config.ratelimit import is_unlimited
from config.serializers import StrictCharField


class ErrorSerializer(serializers.Serializer):
    code = StrictCharField(
        help_text="Stable machine-readable code for this kind of failure: one of\n\n" + catalogue_markdown()
    )
    message = StrictCharField()
    field = StrictCharField(allow_null=True, help_text="Dotted path of the field at fault, or null.")


class ErrorEnvelopeSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    errors = ErrorSerializer(many=True)


class PreconditionFailedEnvelopeSerializer(ErrorEnvelopeSerializer):
    current = serializers.JSONField(
        allow_null=True,
        help_text="The resource as its GET answers it now (its ETag is in the ETag header); null for a resource "
        "with no GET.",
    )


ERROR_DESCRIPTIONS = {
    "400": "Invalid input (one error per field problem).",
    "401": "Missing, invalid or expired credentials, or a revoked session.",
    "403": "Signed in, but the role does not allow this.",
    "404": "No such resource, or it belongs to an organization the caller is not in.",
    "409": "The request conflicts with the current state; for a POST with an Idempotency-Key also "
    "`idempotency_key_in_flight`: the first request with this key is still running (see Retry-After).",
    "413": "The request body is too large.",
    "415": "Unsupported content type.",
    "412": "`precondition_failed`: the resource changed since the ETag given in If-Match; `current` holds it as "
    "it is now, and the ETag header its new ETag.",
    "422": "`idempotency_key_reused`: this Idempotency-Key was used with another request (method, path or body).",
    "429": "Over a rate limit (the endpoint class's, the anonymous ceiling or a guess limit); nothing was done: "
    "send it again after Retry-After seconds.",
    "503": "A service this request needs is unavailable (the database; for sign-in and account recovery also "
    "the rate-limit store); see the Retry-After header.",
}


# The IETF RateLimit fields of every answer (docs/api/rate-limits.md); absent only while the rate-limit store is down.
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "The limit closest to running out for this caller: requests per window.",
    "RateLimit-Remaining": "Requests that may be sent now without a 429.",
    "RateLimit-Reset": "Seconds until the whole limit is available again.",
    "RateLimit-Policy": "That limit and its window in seconds, e.g. `600;w=60`.",
}


def _header(name: str, description: str, **schema) -> dict:
    return {"in": "header", "name": name, "schema": {"type": "string", **schema}, "description": description}


ETAG_HEADER = {
    "schema": {"type": "string"},
    "description": "The representation's strong validator: send it back in If-None-Match (reads) or If-Match "
    "(writes). docs/api/concurrency.md.",
}
IF_NONE_MATCH = _header(
    "If-None-Match", "ETags (or `*`) the client has: when one is the current one, the answer is 304 with no body."
)
# RFC 9110's entity-tag list (without a comma inside a tag), or *.
ETAG_LIST_PATTERN = r'^ *(\*|(W/)?"[\x21\x23-\x2b\x2d-\x7e]*"( *, *(W/)?"[\x21\x23-\x2b\x2d-\x7e]*")*) *$'
IF_MATCH = _header(
    "If-Match",
    "Change only if the resource still has this ETag (or `*`: if it exists); otherwise 412 `precondition_failed` "
    "with the current representation. Without it the write happens whatever changed meanwhile.",
    pattern=ETAG_LIST_PATTERN,
)
IDEMPOTENCY_KEY = _header(
    idempotency_keys.HEADER,
    f"Makes a retry safe: the same key with the same body within IDEMPOTENCY_KEY_HOURS (24 h) answers the first "
    f"answer again (marked `{idempotency_keys.REPLAYED_HEADER}: true`) instead of doing it twice; with another "
    "body 422 `idempotency_key_reused`; while the first is still running 409 `idempotency_key_in_flight`. "
    f"{idempotency_keys.KEY_RULE[0].upper()}{idempotency_keys.KEY_RULE[1:]}; otherwise 400.",
    pattern=idempotency_keys.HEADER_PATTERN,
)
REPLAYED_HEADER = {
    "schema": {"type": "string", "enum": ["true"]},
    "description": "Present on an answer replayed for a repeated Idempotency-Key.",
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None and path.startswith("/api/"):
            self._document_conditional_headers(operation)
        return operation

    def _document_conditional_headers(self, operation) -> None:
        """ETag, If-None-Match, If-Match and Idempotency-Key where config.conditional and idempotency apply."""
        parameters = operation.setdefault("parameters", [])
        responses = operation["responses"]
        if self.method == "GET" and "application/json" in responses.get("200", {}).get("content", {}):
            parameters.append(IF_NONE_MATCH)
            responses["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
            responses["304"] = {
                "description": "Not modified: the If-None-Match named the current ETag.",
                "headers": {"ETag": ETAG_HEADER},
            }
        elif self.method in ("PATCH", "PUT", "DELETE") and isinstance(self.view, PreconditionMixin):
            parameters.append(IF_MATCH)
            if self.method != "DELETE" and self._has_read() and "200" in responses:
                responses["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
            responses["412"] = self._get_response_for_code(
                OpenApiResponse(PreconditionFailedEnvelopeSerializer, description=ERROR_DESCRIPTIONS["412"]), "412"
            )
        elif self.method == "POST" and self._takes_idempotency_key():
            parameters.append(IDEMPOTENCY_KEY)
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {})[idempotency_keys.REPLAYED_HEADER] = REPLAYED_HEADER
            responses["422"] = self._get_response_for_code(
                OpenApiResponse(ErrorEnvelopeSerializer, description=ERROR_DESCRIPTIONS["422"]), "422"
            )
        if not parameters:
            del operation["parameters"]

    def _has_read(self) -> bool:
        action_map = getattr(self.view, "action_map", None)
        return "get" in action_map if action_map is not None else hasattr(self.view, "get")

    def _takes_idempotency_key(self) -> bool:
        return not self._is_public() and idempotency_keys.takes_idempotency_key(
            type(self.view), getattr(self.view, "action", None)
        )

    def _is_public(self) -> bool:
        return any(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _error_statuses(self) -> list[str]:
        codes = ["400", "404"] if is_unlimited(self.path) else ["400", "404", "429"]
        if not self._is_public():
            codes += ["401", "403"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("409")
        if not getattr(self.view, "needs_no_services", False):
            codes.append("503")
        return codes

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if is_unlimited(self.path):
            return headers
        for name, description in RATE_LIMIT_HEADERS.items():
            schema = {"type": "string"} if name == "RateLimit-Policy" else {"type": "integer", "minimum": 0}
            headers.setdefault(name, {"schema": schema, "description": description})
        if status_code == "429":
            headers.setdefault(
                "Retry-After",
                {"schema": {"type": "integer", "minimum": 1}, "required": True, "description": "Seconds to wait."},
            )
        return headers

    def _get_filter_parameters(self):
        """Filters state their allowed values in the order the code declares them (drf-spectacular sorts a
        parameter's enum alphabetically: ``done, in_progress, todo``; a frontend's select wants
        ``todo, in_progress, done``). ``ordering`` states its fields itself (config.filters.StrictOrderingFilter)."""
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            # A filter of several values takes at most MAX_FILTER_VALUES (config/filters.py): the schema says so.
            if parameter.get("schema", {}).get("type") == "array" and parameter.get("explode"):
                parameter["schema"]["maxItems"] = MAX_FILTER_VALUES
        backends = self.get_filter_backends()
        model = get_view_model(self.view) if backends else None
        if model is None:
            return parameters
        queryset = get_manager(model).none()
        for backend_class in backends:
            backend = backend_class()
            if isinstance(backend, DjangoFilterBackend):
                self._declared_enum_order(parameters, backend.get_filterset_class(self.view, queryset), model)
        return parameters

    @staticmethod
    def _declared_enum_order(parameters, filterset_class, model):
        if filterset_class is None:
            return
        for parameter in parameters:
            schema = parameter["schema"].get("items", parameter["schema"])
            filter_field = filterset_class.base_filters.get(parameter["name"])
            if "enum" not in schema or filter_field is None:
                continue
            choices = filter_field.extra.get("choices")
            if choices is None:
                try:
                    choices = model._meta.get_field(filter_field.field_name).choices
                except Exception:  # a filter on a path or an annotation: no model choices to follow
                    choices = None
            if not choices or callable(choices):
                continue
            declared = [value for value, _label in choices]
            schema["enum"] = [v for v in declared if v in schema["enum"]] + [
                v for v in schema["enum"] if v not in declared
            ]

    def _get_request_for_media_type(self, serializer, direction="request"):
        # drf-spectacular documents every PATCH body as its all-optional "Patched" variant; a view whose
        # PATCH needs its serializer's required fields says so with ``patch_needs_required_fields = True``
        # (a viewset: the names of those actions, ``("comment_detail",)``).
        needs = getattr(self.view, "patch_needs_required_fields", False)
        if self.method == "PATCH" and (needs is True or getattr(self.view, "action", None) in (needs or ())):
            self.method = "PUT"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _get_request_body(self, direction="request"):
        # drf-spectacular documents no body for DELETE; a view whose DELETE reads one (DELETE /users/me takes
        # the password) says so with ``delete_has_body = True``.
        if self.method == "DELETE" and getattr(self.view, "delete_has_body", False):
            self.method = "POST"
            try:
                return super()._get_request_body(direction)
            finally:
                self.method = "DELETE"
        return super()._get_request_body(direction)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_statuses():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorEnvelopeSerializer, description=ERROR_DESCRIPTIONS[code]), code
                )
        return responses
