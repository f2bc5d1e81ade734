"""At the site root (config/urls.py): ``/mcp`` and its RFC 9728 metadata, outside ``/api/v1``."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from mcp_server import views

metadata = views.ProtectedResourceMetadataView.as_view()

urlpatterns = [
    path("mcp", csrf_exempt(views.MCPView.as_view()), name="mcp"),
    # RFC 9728 §3.1: the well-known URI of the resource /mcp is the well-known prefix + "/mcp"; the
    # bare prefix answers the same document, for clients that look there first.
    path(".well-known/oauth-protected-resource/mcp", metadata, name="oauth-protected-resource-mcp"),
    path(".well-known/oauth-protected-resource", metadata, name="oauth-protected-resource"),
]
