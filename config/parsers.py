"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest.

Python's ``json`` decodes nested arrays and objects by recursion, so a body a thousand levels
deep raises ``RecursionError``, which DRF's parser does not catch (it catches ``ValueError``):
the request answered 500. A body that decodes just under the interpreter's limit would only move
the failure to whatever walks it next (validation, the error envelope, the renderer). So both are
refused here, as a 400 ``parse_error``: a body that is too deep to decode, and one that decodes
but nests deeper than ``MAX_DEPTH``. No request body of this API nests more than a few levels.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Far above any body this API takes, far below the interpreter's recursion limit, so that every
# accepted body can also be validated, echoed in an error and rendered.
MAX_DEPTH = 64

TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def nesting_depth_exceeds(value, limit: int) -> bool:
    """Whether arrays/objects in ``value`` nest more than ``limit`` levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if isinstance(data, (dict, list)) and nesting_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
