from django.urls import path

from live.views import EventStreamView, EventTicketView

urlpatterns = [
    path("events", EventStreamView.as_view(), name="event-stream"),
    path("events/tickets", EventTicketView.as_view(), name="event-ticket"),
]
