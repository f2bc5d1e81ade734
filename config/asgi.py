"""The ASGI entry point: the live streams' process (the ``events`` service, uvicorn).

Django runs a request's synchronous code (the middleware, a DRF view) in a thread of that request's own
(``ThreadSensitiveContext``), kept until the response ends: one thread per open stream, most of a
stream's memory. Here the synchronous code of every request runs in Django's one shared thread
instead, and the streams themselves on the event loop: right for a process that serves streams (whose
synchronous part is short: authenticate, read the memberships), not for the rest of the API, which the
WSGI ``web`` service serves (docs/operations.md, "Live updates").
"""

import os

import django

from config.handlers import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


class SharedThreadASGIHandler(ASGIHandler):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)


django.setup(set_prefix=False)
application = SharedThreadASGIHandler()
