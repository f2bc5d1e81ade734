"""Both views whose ``?format=`` chooses JSON or CSV negotiate alike (config.negotiation)."""

import pytest

from config.negotiation import FormatParameterNegotiation
from imports.views import ImportJobViewSet
from reports.views import ReportExportViewSet, ReportSummaryView


def test_the_csv_views_share_one_negotiation():
    assert ReportSummaryView.content_negotiation_class is FormatParameterNegotiation
    assert ReportExportViewSet.content_negotiation_class is FormatParameterNegotiation
    assert ImportJobViewSet.errors.kwargs["content_negotiation_class"] is FormatParameterNegotiation


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["text/csv", "application/xml"])
def test_an_accept_the_view_cannot_render_gets_the_answer_not_406(accept, rf):
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request

    request = Request(rf.get("/x?format=csv", HTTP_ACCEPT=accept))
    renderer, media_type = FormatParameterNegotiation().select_renderer(request, [JSONRenderer()])
    assert (type(renderer), media_type) == (JSONRenderer, "application/json")


def test_format_is_not_a_renderer_override(rf):
    from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
    from rest_framework.request import Request

    request = Request(rf.get("/x?format=api", HTTP_ACCEPT="application/json"))
    renderer, _ = FormatParameterNegotiation().select_renderer(request, [JSONRenderer(), BrowsableAPIRenderer()])
    assert type(renderer) is JSONRenderer
