"""Uploads and built files in a shared bucket (config/storage.py, config/settings/storage.py), against the S3
stand-in (moto's server on loopback, tests/fixtures/storage.py): settings, streaming reads, presigned links,
retention. The imports' and exports' own paths through it: tests/imports/test_storage.py,
tests/reports/test_storage.py; two hosts for real: tests/config/test_storage_drill.py."""

import io
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from config.retention import delete_files_in_batches
from config.settings.storage import media_storage
from config.storage import S3MediaStorage, S3ObjectStream
from imports.models import ImportJob
from tests.factories import ImportJobFactory


def storage_settings(monkeypatch, **variables) -> dict:
    for name in [
        "STORAGE_BACKEND",
        "STORAGE_S3_BUCKET",
        "STORAGE_S3_ENDPOINT_URL",
        "STORAGE_S3_REGION",
        "STORAGE_S3_ACCESS_KEY_ID",
        "STORAGE_S3_SECRET_ACCESS_KEY",
        "STORAGE_S3_ADDRESSING_STYLE",
        "STORAGE_S3_KEY_PREFIX",
        "STORAGE_S3_PRESIGNED_URL_SECONDS",
    ]:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return media_storage()


class TestSettings:
    def test_local_files_are_the_default(self, monkeypatch):
        assert storage_settings(monkeypatch) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
        assert storage_settings(monkeypatch, STORAGE_BACKEND="local")["BACKEND"].endswith("FileSystemStorage")

    def test_s3_takes_every_variable(self, monkeypatch):
        chosen = storage_settings(
            monkeypatch,
            STORAGE_BACKEND="s3",
            STORAGE_S3_BUCKET="workspace-files",
            STORAGE_S3_ENDPOINT_URL="https://s3.example.net",
            STORAGE_S3_REGION="eu-west-3",
            STORAGE_S3_ACCESS_KEY_ID="AKIDEXAMPLE",
            STORAGE_S3_SECRET_ACCESS_KEY="secret",
            STORAGE_S3_ADDRESSING_STYLE="path",
            STORAGE_S3_KEY_PREFIX="/staging/",
            STORAGE_S3_PRESIGNED_URL_SECONDS="60",
        )
        assert chosen["BACKEND"] == "config.storage.S3MediaStorage"
        options = chosen["OPTIONS"]
        config = options.pop("client_config")
        assert (config.s3, config.signature_version) == ({"addressing_style": "path"}, "s3v4")
        assert (config.connect_timeout, config.read_timeout, config.retries) == (
            10,
            10,
            {"mode": "standard", "max_attempts": 3},
        )
        assert {name: options[name] for name in options if name != "file_overwrite"} == {
            "bucket_name": "workspace-files",
            "endpoint_url": "https://s3.example.net",
            "region_name": "eu-west-3",
            "access_key": "AKIDEXAMPLE",
            "secret_key": "secret",
            "location": "staging",
            "querystring_expire": 60,
            "default_acl": None,
            "querystring_auth": True,
        }
        # The options are the storage's own: an unknown one would fail when the storage is made.
        storage = S3MediaStorage(**options)
        assert storage.location == "staging"

    def test_s3_without_keys_leaves_them_to_boto3s_chain(self, monkeypatch):
        options = storage_settings(monkeypatch, STORAGE_BACKEND="s3", STORAGE_S3_BUCKET="files")["OPTIONS"]
        assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == (None, None, None)
        assert options["client_config"].s3 == {"addressing_style": None}  # auto: botocore decides
        assert options["querystring_expire"] == 300

    @pytest.mark.parametrize(
        ("variables", "message"),
        [
            ({"STORAGE_BACKEND": "s3"}, "STORAGE_S3_BUCKET"),
            ({"STORAGE_BACKEND": "gcs"}, "STORAGE_BACKEND must be local or s3"),
            ({"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": "b", "STORAGE_S3_ACCESS_KEY_ID": "k"}, "both"),
            ({"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": "b", "STORAGE_S3_SECRET_ACCESS_KEY": "s"}, "both"),
            ({"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": "b", "STORAGE_S3_ADDRESSING_STYLE": "dns"}, "ADDRESSING"),
            ({"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": "b", "STORAGE_S3_PRESIGNED_URL_SECONDS": "0"}, "SECONDS"),
            (
                {"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": "b", "STORAGE_S3_PRESIGNED_URL_SECONDS": "604801"},
                "SECONDS",
            ),
        ],
    )
    def test_a_misconfiguration_fails_at_start(self, monkeypatch, variables, message):
        with pytest.raises(ImproperlyConfigured, match=message):
            storage_settings(monkeypatch, **variables)


class TestBucket:
    def test_a_saved_file_is_an_object_under_the_key_prefix(self, s3_storage, settings, monkeypatch):
        monkeypatch.setenv("STORAGE_S3_KEY_PREFIX", "tenant-a/")
        settings.STORAGES = {**settings.STORAGES, "default": media_storage()}
        name = default_storage.save("imports/x/y.csv", ContentFile(b"a,b\n1,2\n"))
        assert name == "imports/x/y.csv"
        assert s3_storage.keys() == ["tenant-a/imports/x/y.csv"]
        assert s3_storage.head("tenant-a/imports/x/y.csv")["ContentType"] == "text/csv"
        with default_storage.open(name, "rb") as stored:
            assert stored.read() == b"a,b\n1,2\n"
        default_storage.delete(name)
        assert s3_storage.keys() == []

    def test_reading_streams_the_object_as_the_caller_reads(self, s3_storage):
        content = bytes(range(256)) * 4096  # 1 MiB
        name = default_storage.save("blob.bin", ContentFile(content))
        stored = default_storage.open(name, "rb")
        stream = stored.file
        assert isinstance(stream, S3ObjectStream)
        assert stored.size == len(content)
        # One GET's body, read as asked: what the stream holds is the socket's, not the object.
        assert stored.read(10) == content[:10]
        assert stream.tell() == 10
        assert stored.read(1000) == content[10:1010]
        # A seek elsewhere is a ranged GET; seeking back to the start reads the object again.
        stored.seek(500_000)
        assert stored.read(5) == content[500_000:500_005]
        stored.seek(0)
        assert stored.read() == content
        stored.seek(0, io.SEEK_END)
        assert stored.read(1) == b""
        stored.close()
        assert stream.closed

    def test_a_text_open_reads_utf8(self, s3_storage):
        name = default_storage.save("note.txt", ContentFile("héllo\n".encode()))
        with default_storage.open(name, "r") as stored:
            assert stored.read() == "héllo\n"

    def test_a_missing_object_is_a_missing_file(self, s3_storage):
        with pytest.raises(FileNotFoundError):
            default_storage.open("imports/none.csv", "rb")
        assert not default_storage.exists("imports/none.csv")

    def test_a_body_broken_mid_read_is_read_on_from_where_it_broke(self, s3_storage):
        from botocore.exceptions import ResponseStreamingError

        content = b"0123456789" * 1000
        name = default_storage.save("broken.bin", ContentFile(content))
        stored = default_storage.open(name, "rb")
        assert stored.read(100) == content[:100]
        body = stored.file._body

        def broken(amount=None):
            raise ResponseStreamingError(error="connection reset")

        body.read = broken
        assert stored.read(100) == content[100:200]
        assert stored.read() == content[200:]

    def test_a_presigned_link_downloads_the_object_as_a_named_attachment(self, s3_storage):
        name = default_storage.save("reports/x.csv", ContentFile(b"id\n1\n"))
        url = default_storage.presigned_download_url(name, filename="Report é.csv", content_type="text/csv")
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Expires"] == ["300"]
        assert url.startswith(f"{s3_storage.endpoint}/{s3_storage.name}/reports/x.csv?")
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200
        assert answer.content == b"id\n1\n"
        assert answer.headers["Content-Disposition"] == ("attachment; filename*=utf-8''Report%20%C3%A9.csv")
        assert answer.headers["Content-Type"] == "text/csv"
        assert answer.headers["Cache-Control"] == "private, no-store"
        # The stand-in checks no signature: that the bucket refuses a link altered or expired is S3's part.


@pytest.mark.django_db
def test_retention_deletes_the_objects_from_the_bucket(s3_storage):
    jobs = ImportJobFactory.create_batch(3)
    keys = sorted(job.file.name for job in jobs)
    assert s3_storage.keys() == keys
    assert delete_files_in_batches(ImportJob.objects.all(), batch_size=2, dry_run=False) == 3
    assert s3_storage.keys() == []
    assert list(ImportJob.objects.values_list("file", flat=True)) == [""] * 3
