"""DRF's throttle: the rate limiter (config/ratelimit.py) on every DRF request, once its caller is known.

A module of its own because DRF imports DEFAULT_THROTTLE_CLASSES while it defines APIView: this one
imports nothing that imports ``rest_framework.views``. The limiter does (the error envelope), so it is
imported when the first request is throttled.
"""

from rest_framework.throttling import BaseThrottle


class RequestRateThrottle(BaseThrottle):
    """Counts the request against its endpoint class: per user when signed in, else per client IP."""

    def allow_request(self, request, view):
        from config import ratelimit

        ratelimit.throttle(request, view)  # raises RateLimited over the limit
        return True
