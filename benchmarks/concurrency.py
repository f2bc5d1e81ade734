"""What conditional requests and Idempotency-Key cost a request (docs/api/concurrency.md).

In process, through the API client, in one run: a task read and a page of tasks with and without the ETag
middleware, a 304; a task PATCH without and with a matching If-Match (the row lock and the representation
read again); a task POST without a key, with a new key each time (the caller identified once more, the claim,
the answer kept) and replayed.
"""

import itertools

from benchmarks.harness import run_timings, signed_in_client, time_interleaved


def run(iterations: int) -> dict:
    from django.conf import settings
    from django.test import override_settings

    from accounts.services import user_create
    from organizations.services import organization_create
    from tasks_app.services import task_create

    owner = user_create(email="bench@example.com", username="bench", password=None)
    organization = organization_create(created_by=owner, name="Bench")
    for number in range(40):
        task_create(organization=organization, created_by=owner, title=f"Task {number}", assignee=owner)
    task = task_create(organization=organization, created_by=owner, title="Edited")
    url = f"/api/v1/tasks/{task.pk}"

    client = signed_in_client(owner)
    without_etags = [m for m in settings.MIDDLEWARE if m != "config.conditional.ConditionalGetMiddleware"]
    with override_settings(MIDDLEWARE=without_etags):
        plain_client = signed_in_client(owner)
        plain_client.get(url)  # its handler loads the middleware now, without the ETag one
    etag = client.get(url)["ETag"]

    titles = itertools.count()
    # Its own task, so that the unconditional PATCHes do not make its ETag stale.
    conditional_url = f"/api/v1/tasks/{task_create(organization=organization, created_by=owner, title='If').pk}"
    state = {"etag": client.get(conditional_url)["ETag"]}

    def conditional_patch():
        response = client.patch(conditional_url, {"title": f"t{next(titles)}"}, HTTP_IF_MATCH=state["etag"])
        assert response.status_code == 200, response.content
        state["etag"] = response["ETag"]

    keys = itertools.count()
    body = {"organization": str(organization.pk), "title": "Posted"}
    client.post("/api/v1/tasks", body, HTTP_IDEMPOTENCY_KEY="replayed")

    results = time_interleaved(
        {
            "GET one task, no ETag middleware": lambda: plain_client.get(url),
            "GET one task, with its ETag": lambda: client.get(url),
            "GET one task, 304 (If-None-Match)": lambda: client.get(url, HTTP_IF_NONE_MATCH=etag),
            "GET a page of 20 tasks, no ETag middleware": lambda: plain_client.get("/api/v1/tasks"),
            "GET a page of 20 tasks, with its ETag": lambda: client.get("/api/v1/tasks"),
            "PATCH a task, no If-Match": lambda: client.patch(url, {"title": f"t{next(titles)}"}),
            "PATCH a task, matching If-Match": conditional_patch,
            "POST a task, no key": lambda: client.post("/api/v1/tasks", body),
            "POST a task, a new Idempotency-Key": lambda: client.post(
                "/api/v1/tasks", body, HTTP_IDEMPOTENCY_KEY=f"k{next(keys)}"
            ),
            "POST a task, replayed": lambda: client.post("/api/v1/tasks", body, HTTP_IDEMPOTENCY_KEY="replayed"),
        },
        iterations=iterations,
        repeats=5,
    )
    return results


def main(argv=None):
    run_timings(
        __doc__,
        run,
        argv=argv,
        default_iterations=100,
        title="concurrency ({backends}, {iterations} calls, median of 5 interleaved rounds)",
        unit="ms",
    )


if __name__ == "__main__":
    main()
