from rest_framework.routers import SimpleRouter

UUID_PATTERN = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class ApiRouter(SimpleRouter):
    """No trailing slashes, as the API contract writes paths; ids are UUIDs, so a malformed one is a 404."""

    def __init__(self):
        super().__init__(trailing_slash=False)

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if not hasattr(viewset, "lookup_value_regex"):
            viewset.lookup_value_regex = UUID_PATTERN
        return super().get_lookup_regex(viewset, lookup_prefix)
