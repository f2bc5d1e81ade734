from rest_framework import serializers


class StreamTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Give it as `?ticket=` to `GET /events`, once.")
    expires_in = serializers.IntegerField(help_text="Seconds left to open the stream with it.")
    url = serializers.CharField(
        help_text="The stream's absolute URL with the ticket, for `new EventSource(url)` from any origin."
    )
