from django.urls import path

from privacy import views

urlpatterns = [
    # accounts' GET and PATCH of one's profile, with DELETE (privacy.views.MeView).
    path("users/me", views.MeView.as_view(), name="user-me"),
    path("users/me/export", views.DataExportView.as_view(), name="user-export"),
    path("users/me/export/download", views.DataExportDownloadView.as_view(), name="user-export-download"),
    path(
        "users/me/export/signed-download",
        views.DataExportSignedDownloadView.as_view(),
        name="user-export-signed-download",
    ),
]
