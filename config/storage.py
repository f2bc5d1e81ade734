"""The shared object store for uploads and built files (``STORAGE_BACKEND=s3``, config/settings/storage.py).

django-storages' ``S3Storage`` with three changes, each so that a web process and a worker on different hosts
share files without either holding one whole in memory ([storage.md](../docs/storage.md)):

- **Reading streams.** django-storages' ``S3File`` downloads the whole object into a ``SpooledTemporaryFile``
  before the first byte is read, and with its default ``AWS_S3_MAX_MEMORY_SIZE`` of 0 that spool never rolls
  over to disk: a 256 MB import would sit in the worker's memory. Files opened for reading here are
  ``S3ObjectStream``: one GET whose body is read as the caller reads (the import reads 1 MiB at a time), a seek
  answered by a ranged GET, nothing written to local disk.
- **Writing streams in bounded parts.** ``save`` goes through boto3's ``upload_fileobj`` as in django-storages;
  past ``UPLOAD_PART_BYTES`` it is a multipart upload, and boto3 reads each part into memory before sending it,
  up to ten parts at once by default. ``upload_transfer_config`` sends ``UPLOAD_PARTS_IN_MEMORY`` at a time and
  reads one ahead, so an upload holds three parts at most whatever the file's size (an upload Django spilled
  to a temporary file is read from that file part by part).
- **Downloads are presigned.** ``presigned_download_url`` is a GET link to the object for a short while, naming
  the file as an attachment; ``config.views.stored_file_attachment`` redirects to it rather than streaming the
  file through the web process. A storage without that method (local files) serves the file itself.
"""

import io
import os
from contextlib import contextmanager

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from django.core.files import File
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from config.errors import StorageUnavailable

UPLOAD_PART_BYTES = 8 * 1024 * 1024
UPLOAD_PARTS_IN_MEMORY = 2
# A body that breaks mid-read (a connection reset, a read timeout) is read on from where it broke, this often.
READ_RETRIES = 2
_BROKEN_BODY = (ReadTimeoutError, ResponseStreamingError, IncompleteReadError)


def upload_transfer_config() -> TransferConfig:
    """boto3's transfer settings for uploads: multipart past ``UPLOAD_PART_BYTES``, parts in memory bounded."""
    config = TransferConfig(
        multipart_threshold=UPLOAD_PART_BYTES,
        multipart_chunksize=UPLOAD_PART_BYTES,
        max_concurrency=UPLOAD_PARTS_IN_MEMORY,
    )
    # Not an argument of boto3's class, but an attribute of s3transfer's it extends (default 10 parts).
    config.max_in_memory_upload_chunks = UPLOAD_PARTS_IN_MEMORY
    return config


def _not_found(error: ClientError) -> bool:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404 or error.response.get(
        "Error", {}
    ).get("Code") in ("NoSuchKey", "404", "NotFound")


@contextmanager
def _store_errors():
    """The bucket's failures as ``StorageUnavailable`` (503 in the API, a retried job in a worker), but a
    missing object, which stays ``FileNotFoundError``: an endpoint that cannot be reached, credentials or
    a policy that refuse us, a timeout. Without this they were 500s."""
    try:
        yield
    except StorageUnavailable:
        raise
    except ClientError as error:
        if _not_found(error):
            raise FileNotFoundError(str(error)) from None
        raise StorageUnavailable(f"The file store refused the operation: {error}") from error
    except BotoCoreError as error:
        raise StorageUnavailable(f"The file store cannot be reached: {error}") from error


class S3ObjectStream(io.RawIOBase):
    """An object of the bucket as a readable, seekable raw stream, read as the caller reads.

    Opening sends the GET (a missing object raises ``FileNotFoundError`` there, as a missing local file does);
    ``read`` takes the next bytes of its body. A seek elsewhere, or a body that breaks mid-read, sends a
    ranged GET from the new position, conditional on the object's ETag: if the object was replaced meanwhile,
    reading fails rather than mixing two versions.
    """

    def __init__(self, *, client, bucket: str, key: str):
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._position = 0
        self._etag = None
        self._body = None
        self.size = 0
        self._get(0)

    def _get(self, start: int) -> None:
        self._drop_body()
        if self._etag is not None and start >= self.size:
            return  # at or past the end: nothing to read, and S3 refuses such a range (416)
        params = {"Bucket": self._bucket, "Key": self._key}
        if self._etag is not None:
            params |= {"Range": f"bytes={start}-", "IfMatch": self._etag}
        try:
            with _store_errors():
                response = self._client.get_object(**params)
        except FileNotFoundError:
            raise FileNotFoundError(f"No object {self._key!r} in bucket {self._bucket!r}") from None
        if self._etag is None:
            self._etag, self.size = response["ETag"], response["ContentLength"]
        self._body = response["Body"]

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self.size}[whence]
        position = max(base + offset, 0)
        if position != self._position:
            self._position = position
            self._get(position)
        return position

    def readinto(self, buffer) -> int:
        if self._body is None:
            return 0
        for attempt in range(READ_RETRIES + 1):
            try:
                data = self._body.read(len(buffer))
                break
            except _BROKEN_BODY as error:
                if attempt == READ_RETRIES:
                    raise StorageUnavailable(f"Reading {self._key!r} kept breaking: {error}") from error
                self._get(self._position)
                if self._body is None:
                    return 0
        size = len(data)
        buffer[:size] = data
        self._position += size
        return size

    def close(self) -> None:
        self._drop_body()
        super().close()


class S3MediaStorage(S3Storage):
    """Uploads and built files in one bucket (``STORAGES["default"]`` when ``STORAGE_BACKEND=s3``)."""

    def __init__(self, **settings):
        settings.setdefault("transfer_config", upload_transfer_config())
        super().__init__(**settings)

    # Every operation of the bucket answers its failures as ``StorageUnavailable`` (``_store_errors``).
    def _save(self, name, content):
        with _store_errors():
            return super()._save(name, content)

    def exists(self, name):
        with _store_errors():
            return super().exists(name)

    def delete(self, name):
        with _store_errors():
            return super().delete(name)

    def size(self, name):
        with _store_errors():
            return super().size(name)

    def listdir(self, name):
        with _store_errors():
            return super().listdir(name)

    def get_modified_time(self, name):
        with _store_errors():
            return super().get_modified_time(name)

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            with _store_errors():
                return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        stream = S3ObjectStream(client=self.connection.meta.client, bucket=self.bucket_name, key=key)
        # Text mode as a local file opens it: UTF-8 over the same stream.
        handle = stream if "b" in mode else io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8")
        return File(handle, name=name)

    def presigned_download_url(self, name: str, *, filename: str, content_type: str) -> str:
        """A GET link to the object that needs no other credential, for ``querystring_expire`` seconds
        (``STORAGE_S3_PRESIGNED_URL_SECONDS``): the bucket answers it as an attachment named ``filename``, of
        ``content_type``, that no cache keeps. It is made without asking the bucket anything."""
        return self.url(
            name,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
                "ResponseCacheControl": "private, no-store",
            },
        )
