from django.urls import path

from audit import views

urlpatterns = [
    path("users/me/security-events", views.SecurityEventListView.as_view(), name="user-security-events"),
]
