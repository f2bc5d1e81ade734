"""The languages text can be searched in: PostgreSQL's text search configurations (12 and later).

An organization chooses the one its tasks are written in (``Organization.language``), for stemming and
stop words (``tasks_app/search.py``); "simple" stems nothing (any language, or codes and names).
"""

SEARCH_LANGUAGES = (
    *("simple", "arabic", "danish", "dutch", "english", "finnish", "french", "german", "greek", "hungarian"),
    *("indonesian", "irish", "italian", "lithuanian", "nepali", "norwegian", "portuguese", "romanian"),
    *("russian", "spanish", "swedish", "tamil", "turkish"),
)
DEFAULT_SEARCH_LANGUAGE = "english"
