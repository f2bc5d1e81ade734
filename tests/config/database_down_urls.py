"""Views that fail as a database that is down makes them fail: DRF, plain Django under /api/, and a page."""

from django.db import InterfaceError, OperationalError
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns

ERRORS = {
    "operational": lambda: OperationalError(
        'connection failed: connection to server at "10.0.0.5", port 5432 failed: Connection refused'
    ),
    "interface": lambda: InterfaceError("connection already closed"),
}


class DatabaseDownView(APIView):
    permission_classes = [AllowAny]

    def get(self, request, kind):
        raise ERRORS[kind]()


def plain_view(request, kind):
    raise ERRORS[kind]()


urlpatterns = [
    path("api/v1/_faults/drf/<str:kind>", DatabaseDownView.as_view()),
    path("api/v1/_faults/plain/<str:kind>", plain_view),
    path("_faults/page/<str:kind>", plain_view),
    *project_urlpatterns,
]

handler500 = "config.views.server_error"
