"""Endpoints that fail in every way DRF and Django can, to test the conventions end to end."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from config.errors import Conflict
from config.urls import urlpatterns as project_urlpatterns


class AddressSerializer(serializers.Serializer):
    city = serializers.CharField(max_length=10)


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    age = serializers.IntegerField(min_value=0)
    address = AddressSerializer()
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)

    def validate(self, attrs):
        if attrs.get("name") == "bad":
            raise serializers.ValidationError("The object as a whole is wrong.")
        return attrs


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class PrivateView(APIView):
    def get(self, request):
        return Response({"email": request.user.email})


class BoomView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2 SELECT * FROM users")


class RaisingView(APIView):
    permission_classes = [AllowAny]
    errors = {
        "django-403": DjangoPermissionDenied,
        "django-404": Http404,
        "throttled": lambda: Throttled(wait=12.2),
        # An application error with more detail for the client; it cannot replace the entry's own keys.
        "conflict-with-extra": lambda: Conflict(
            "Hand these over first.", code="last_owner", extra={"organizations": [{"id": "x"}], "code": "other"}
        ),
    }

    def get(self, request, kind):
        raise self.errors[kind]()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email"]


class UserListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UserSerializer
    queryset = User.objects.order_by("email")


def plain_django_boom(request):
    raise ValueError("not a DRF view")


urlpatterns = [
    path("api/v1/_test/echo", EchoView.as_view()),
    path("api/v1/_test/private", PrivateView.as_view()),
    path("api/v1/_test/boom", BoomView.as_view()),
    path("api/v1/_test/raise/<str:kind>", RaisingView.as_view()),
    path("api/v1/_test/users", UserListView.as_view()),
    path("api/v1/_test/plain-boom", plain_django_boom),
    *project_urlpatterns,
]
