def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response failed with ``status`` in the error envelope, with ``code`` among its errors."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "message", "field"}, error
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    return body


def assert_page(response) -> list[dict]:
    """A 200 list in the project's pagination shape; returns its items."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"data", "pagination"}, body
    return body["data"]
