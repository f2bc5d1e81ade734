"""Reading uploaded CSV files: refuse what is not text CSV, find the delimiter, stream the rows.

Everything here streams: a file is read in chunks of ``CHUNK_BYTES`` whatever its size, and the
rows come out one at a time, so memory stays flat. Text is UTF-8, with or without a BOM; the
delimiter is a comma, a semicolon or a tab, detected from the start of the file.
"""

import codecs
import csv
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

CHUNK_BYTES = 1 << 20
SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# Signatures of files people upload by mistake, to say what they are rather than "not UTF-8".
KNOWN_BINARY = (
    (b"PK\x03\x04", "This looks like an Excel workbook or a zip archive; export the sheet as CSV (UTF-8)."),
    (b"\xd0\xcf\x11\xe0", "This looks like an old Excel (.xls) workbook; export the sheet as CSV (UTF-8)."),
    (b"%PDF", "This is a PDF document, not a CSV file."),
    (b"\xff\xfe", "This file is UTF-16; save it as CSV UTF-8."),
    (b"\xfe\xff", "This file is UTF-16; save it as CSV UTF-8."),
)


class CsvRefused(Exception):
    """The upload is not a CSV file we can read; ``code`` is stable, ``message`` says what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class _NotText(Exception):
    pass


class _CheckedStream(io.RawIOBase):
    """A raw binary stream over any file-like object with ``read(n)`` (any storage backend's files),
    refusing NUL bytes as it goes: a text CSV never has them, binary files almost always do."""

    def __init__(self, source, *, refuse_nul: bool):
        self._source = source
        self._refuse_nul = refuse_nul
        self.offset = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._source.read(len(buffer))
        if not data:
            return 0
        if self._refuse_nul and b"\x00" in data:
            raise _NotText(self.offset + data.index(b"\x00"))
        size = len(data)
        buffer[:size] = data
        self.offset += size
        return size


def text_stream(source, *, refuse_nul: bool = False) -> io.TextIOWrapper:
    """Decoded text of a binary file: strict UTF-8, a leading BOM dropped, newlines left to ``csv``."""
    buffered = io.BufferedReader(_CheckedStream(source, refuse_nul=refuse_nul), CHUNK_BYTES)
    return io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="strict", newline="")


def _sample_text(head: bytes) -> str:
    # The sample may end inside a multi-byte character or a line: cut both off.
    text = codecs.getincrementaldecoder("utf-8-sig")(errors="ignore").decode(head)
    end = max(text.rfind("\n"), text.rfind("\r"))
    return text[:end] if end > 0 else text


def _first_line(sample: str) -> str:
    return sample.splitlines()[0] if sample else ""


def detect_delimiter(sample: str) -> str:
    """Comma, semicolon or tab: ``csv.Sniffer`` on the sample, checked against the header line.

    The Sniffer alone can pick a semicolon that only occurs inside descriptions; a header names
    columns, so the delimiter must occur in it. A file with a single column has none: comma.
    """
    header = _first_line(sample)
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except Exception:  # the Sniffer's guesswork may fail in several ways; the header decides then
        sniffed = None
    if counts.get(sniffed):
        return sniffed
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])  # ties keep the comma
    return best if counts[best] else ","


def _reader(text, delimiter: str):
    return csv.reader(text, delimiter=delimiter)


@dataclass(frozen=True)
class CsvFacts:
    """What the upload check learnt: enough to queue a job and show its size."""

    rows: int
    delimiter: str
    header: list[str] = field(default_factory=list)


def inspect_csv(source, *, max_rows: int) -> CsvFacts:
    """Read the whole file once, streaming: text UTF-8 without NUL bytes, parseable as CSV, at most
    ``max_rows`` data rows (blank lines do not count). Raises ``CsvRefused`` with a stable code."""
    source.seek(0)
    head = source.read(SNIFF_BYTES)
    if not head or not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise CsvRefused("empty_file", "The file is empty: it needs a header line and at least one row.")
    for signature, message in KNOWN_BINARY:
        if head.startswith(signature):
            raise CsvRefused("not_csv", message)
    delimiter = detect_delimiter(_sample_text(head))
    source.seek(0)
    text = text_stream(source, refuse_nul=True)
    reader = _reader(text, delimiter)
    try:
        rows = filter(any, reader)  # blank lines are skipped here and when the job reads the file
        header = next(rows, None)
        if header is None:
            raise CsvRefused("empty_file", "The file is empty: it needs a header line and at least one row.")
        # Counted in C (no Python per row): the last (index, row) of the first max_rows + 1 rows.
        last = deque(enumerate(islice(rows, max_rows + 1), start=1), maxlen=1)
    except _NotText as exc:
        raise CsvRefused(
            "not_csv",
            f"This is not a text CSV file: it contains a NUL byte (at byte {exc.args[0]}). "
            "Upload a CSV file saved as UTF-8 text.",
        ) from None
    except UnicodeDecodeError:
        raise CsvRefused(
            "not_utf8",
            f"The file is not valid UTF-8 text (near line {reader.line_num + 1}); save it as CSV UTF-8.",
        ) from None
    except csv.Error as exc:
        raise CsvRefused("malformed_csv", f"The file is not valid CSV near line {reader.line_num}: {exc}.") from None
    count = last[0][0] if last else 0
    if count > max_rows:
        raise CsvRefused("too_many_rows", f"The file has more than {max_rows:,} rows; split it into smaller files.")
    return CsvFacts(rows=count, delimiter=delimiter, header=[name.strip() for name in header])


class CsvRows:
    """The data rows of a stored file as ``(line, cells)``, after its header; ``line`` is where the
    row starts in the file (the header is line 1), as people count lines in an editor."""

    def __init__(self, source, *, delimiter: str):
        self._text = text_stream(source)
        self._reader = _reader(self._text, delimiter)
        self._end = 0
        self.header: list[str] = []
        for cells in self._reader:
            if any(cells):
                self.header = cells
                break
        self._end = self._reader.line_num

    def skip(self, count: int) -> None:
        """Pass over ``count`` data rows (a resumed job's checkpoint), in C."""
        if count:
            deque(islice(filter(any, self._reader), count), maxlen=0)
            self._end = self._reader.line_num

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        end = self._end
        for cells in reader:
            start, end = end + 1, reader.line_num
            if any(cells):
                self._end = end
                yield start, cells
        self._end = end

    def close(self) -> None:
        self._text.detach()


@dataclass(frozen=True)
class HeaderMatch:
    """Where each known column is; what is missing, unknown or repeated."""

    positions: dict[str, int]
    missing: list[str]
    unknown: list[str]
    repeated: list[str]
    width: int


def normalize_header(name: str) -> str:
    return name.strip().lower()


def match_header(header: list[str], *, columns: tuple[str, ...], required: tuple[str, ...]) -> HeaderMatch:
    """Match header names to ``columns`` ignoring case and surrounding spaces."""
    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for index, name in enumerate(header):
        key = normalize_header(name)
        if key in columns:
            if key in positions:
                repeated.append(key)
            else:
                positions[key] = index
        else:
            unknown.append(name.strip() or f"(column {index + 1} has no name)")
    missing = [name for name in required if name not in positions]
    return HeaderMatch(positions=positions, missing=missing, unknown=unknown, repeated=repeated, width=len(header))
