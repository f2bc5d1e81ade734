"""The CSP middleware (config/content_security.py) writes what django-csp's writes, its headers built once."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse, HttpResponseNotFound

from config.content_security import CSPMiddleware

REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"], "report-uri": "/csp-reports"}}


def answer(middleware_class, request, response=None, *, touch_nonce=False):
    response = response or HttpResponse()
    middleware = middleware_class(lambda request: response)
    middleware.process_request(request)
    if touch_nonce:
        str(request.csp_nonce)
    return middleware.process_response(request, response)


def both(rf, path="/api/v1/tasks", make_response=HttpResponse, **kwargs):
    """The headers django-csp's middleware and ours write for the same request and response."""
    ours = answer(CSPMiddleware, rf.get(path), make_response(), **kwargs)
    theirs = answer(DjangoCSPMiddleware, rf.get(path), make_response(), **kwargs)
    return {name: ours.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}, {
        name: theirs.get(name) for name in (HEADER, HEADER_REPORT_ONLY)
    }


def test_a_plain_answer_gets_django_csps_header(rf):
    ours, theirs = both(rf)
    assert ours == theirs
    assert "default-src 'self'" in ours[HEADER]
    assert ours[HEADER_REPORT_ONLY] is None


def test_a_report_only_policy_and_excluded_prefixes_are_read_from_the_settings(rf, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = REPORT_ONLY
    ours, theirs = both(rf)
    assert ours == theirs
    assert ours[HEADER_REPORT_ONLY].startswith("default-src 'none'")
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/api/"]}
    ours, theirs = both(rf)
    assert ours == theirs
    assert ours[HEADER] is None
    assert ours[HEADER_REPORT_ONLY] is not None


def test_a_changed_policy_is_the_one_written(rf, settings):
    first, _ = both(rf)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    ours, theirs = both(rf)
    assert ours == theirs == {HEADER: "default-src 'none'", HEADER_REPORT_ONLY: None}
    assert first[HEADER] != ours[HEADER]


def test_a_header_the_view_wrote_is_kept(rf):
    def written():
        response = HttpResponse()
        response[HEADER] = "default-src 'none'"
        return response

    ours, theirs = both(rf, make_response=written)
    assert ours == theirs
    assert ours[HEADER] == "default-src 'none'"


def test_a_views_own_policy_goes_through_django_csp(rf):
    def updated():
        response = HttpResponse()
        response._csp_update = {"form-action": ["https://client.example"]}
        return response

    ours, theirs = both(rf, make_response=updated)
    assert ours == theirs
    assert "https://client.example" in ours[HEADER]


def test_a_nonce_taken_during_the_request_is_in_the_header(rf, settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}
    request = rf.get("/admin/")
    response = answer(CSPMiddleware, request, touch_nonce=True)
    assert f"'nonce-{request._csp_nonce}'" in response[HEADER]


def test_a_nonce_asked_for_after_the_header_was_written_is_an_error(rf):
    request = rf.get("/api/v1/tasks")
    answer(CSPMiddleware, request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_debugs_error_pages_are_left_alone(rf, settings):
    settings.DEBUG = True
    ours, theirs = both(rf, make_response=HttpResponseNotFound)
    assert ours == theirs == {HEADER: None, HEADER_REPORT_ONLY: None}


@pytest.mark.django_db
def test_the_api_answers_with_it(api_client):
    response = api_client.get("/api/v1/")
    assert "default-src 'self'" in response[HEADER]
