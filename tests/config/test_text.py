import pytest

from config.text import truncate


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("eleven char", 10, "eleven ch…"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
        (ValueError("boom"), 20, "boom"),
    ],
)
def test_truncate(text, limit, expected):
    assert truncate(text, limit) == expected
    assert len(truncate(text, limit)) <= limit


def test_truncate_with_another_marker():
    assert truncate("abcdefgh", 6, marker=" [...]") == " [...]"
    assert truncate("abcdefghijkl", 8, marker="..") == "abcdef.."
