"""Imports through the shared bucket (``STORAGE_BACKEND=s3``, against the S3 stand-in of tests/fixtures/storage.py):
an upload bigger than Django keeps in memory goes from its temporary file to the bucket in bounded parts, never
read whole; the run reads the object as it goes, in the CSV reader's chunks."""

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile

from config.storage import UPLOAD_PART_BYTES, S3ObjectStream
from imports.csv_source import CHUNK_BYTES
from imports.models import ImportJob
from tests.imports.conftest import TASK_HEADER, csv_bytes

pytestmark = pytest.mark.django_db


def long_tasks_csv(size: int) -> bytes:
    """A tasks CSV of at least ``size`` bytes, in few rows (long descriptions), so that loading it stays quick."""
    description = "d" * 4000
    rows = [f"Task {i},{description},todo,high,,2030-01-01" for i in range(size // 4000 + 1)]
    return csv_bytes(TASK_HEADER, *rows)


@pytest.fixture
def reads_of_uploads(monkeypatch):
    """The size asked by every ``read`` of an upload Django spilled to a temporary file (None: "all of it")."""
    sizes = []

    def reader(upload):
        def read(*args, **kwargs):
            sizes.append(args[0] if args else kwargs.get("size"))
            return upload.file.read(*args, **kwargs)

        return read

    monkeypatch.setattr(TemporaryUploadedFile, "read", property(reader))
    return sizes


def test_a_big_upload_goes_to_the_bucket_in_parts_never_read_whole(s3_storage, upload, settings, reads_of_uploads):
    content = long_tasks_csv(2 * UPLOAD_PART_BYTES + 1024)
    assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    response = upload(content, run=False)

    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    # Django spilled it to a temporary file (read through the spy); the checks and the upload read it in pieces.
    assert reads_of_uploads
    assert all(size is not None and 0 < size <= UPLOAD_PART_BYTES for size in reads_of_uploads), reads_of_uploads
    # A multipart upload of three parts: its ETag says how many.
    assert s3_storage.keys() == [job.file.name]
    assert s3_storage.head(job.file.name)["ETag"].strip('"').endswith("-3")
    assert s3_storage.read(job.file.name) == content
    assert job.size_bytes == len(content)


@pytest.mark.parametrize(("mode", "gets"), [("skip_invalid", 1), ("all_or_nothing", 2)])
def test_the_run_streams_the_object_as_it_reads(s3_storage, imported, monkeypatch, mode, gets):
    content = long_tasks_csv(3 * CHUNK_BYTES)
    get_starts, reads = [], []
    get, readinto = S3ObjectStream._get, S3ObjectStream.readinto

    def get_spy(stream, start):
        get_starts.append(start)
        return get(stream, start)

    def readinto_spy(stream, buffer):
        reads.append(len(buffer))
        return readinto(stream, buffer)

    monkeypatch.setattr(S3ObjectStream, "_get", get_spy)
    monkeypatch.setattr(S3ObjectStream, "readinto", readinto_spy)

    job = imported(content, mode=mode)

    assert (job.state, job.created, job.failed) == ("succeeded", job.total, 0)
    assert job.total > 700
    # One GET per pass over the file (validating, then loading: a second one from the start), whose body is read
    # a piece at a time as the rows are parsed: the object is never fetched whole, in memory or on disk.
    assert get_starts == [0] * gets
    assert max(reads) <= CHUNK_BYTES
    assert len(reads) > gets * len(content) // CHUNK_BYTES


def test_a_job_whose_object_left_the_bucket_fails_with_a_clear_message(s3_storage, upload, run_job):
    response = upload(long_tasks_csv(100), run=False)
    job = ImportJob.objects.get(pk=response.json()["id"])
    s3_storage.delete(job.file.name)
    job = run_job(job)
    assert job.state == "failed"
    assert "no longer in storage" in job.message


def test_a_refused_upload_leaves_nothing_in_the_bucket(s3_storage, upload):
    response = upload(b"\x00\x01binary", run=False)
    assert response.status_code == 400
    assert s3_storage.keys() == []


def test_an_upload_while_the_bucket_cannot_be_reached_answers_503_and_records_nothing(s3_storage, s3_outage, upload):
    s3_outage()
    response = upload(long_tasks_csv(100), run=False)
    assert response.status_code == 503, response.content
    assert response.json()["errors"][0]["code"] == "service_unavailable"
    assert not ImportJob.objects.exists()


def test_a_run_while_the_bucket_cannot_be_reached_is_resumed_later_not_failed(s3_storage, s3_outage, upload, run_job):
    response = upload(long_tasks_csv(100), run=False)
    job = ImportJob.objects.get(pk=response.json()["id"])
    s3_outage()
    job = run_job(job)
    # Released for the sweep to take again (config/jobs.py), the outage recorded: not failed as a lost file.
    assert job.state != "failed"
    assert job.message == ""
    assert job.last_error.startswith("StorageUnavailable: The file store cannot be reached")
