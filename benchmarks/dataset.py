"""The data set of the benchmarks at scale: organizations of N tasks each, written by PostgreSQL itself.

``build([1_000_000, 250_000, ...])`` makes one owner who belongs to every organization, ``members`` people
in the first one (the assignees), and each organization's tasks with ``INSERT ... SELECT generate_series``
(the task table's indexes dropped during the load and rebuilt after, as a bulk load would), then
``VACUUM ANALYZE``. The tasks are spread over two years; a third done (completed 1 h to ~30 days after
creation, never in the future), 10% unassigned, 70% with a due date, every status and priority. Their
text is searchable: a title of three words and a description of 0-20 words drawn from ``VOCABULARY``
(some non-ASCII), with two words placed on purpose:

- ``COMMON_WORD`` in about 30% of the descriptions;
- ``RARE_WORD`` in exactly ``RARE_HITS`` tasks of the first organization.

Needs PostgreSQL (``generate_series``, ``gen_random_uuid``).
"""

from dataclasses import dataclass

COMMON_WORD = "report"
RARE_WORD = "zeppelin"
RARE_HITS = 20
VOCABULARY = [
    *("review", "update", "customer", "invoice", "draft", "meeting", "notes", "release", "plan", "bug"),
    *("login", "page", "export", "budget", "hiring", "onboarding", "migration", "database", "backup", "audit"),
    *("roadmap", "design", "feedback", "survey", "deploy", "deployment", "server", "client", "contract", "sales"),
    *("marketing", "campaign", "newsletter", "website", "mobile", "android", "iphone", "payment", "refund", "tax"),
    *("quarter", "goals", "metrics", "dashboard", "analytics", "pipeline", "lead", "partner", "vendor", "legal"),
    *("security", "password", "access", "permissions", "office", "travel", "expenses", "laptop", "printer", "wifi"),
    *("fix", "broken", "slow", "crash", "error", "timeout", "upgrade", "install", "configure", "test"),
    *("tests", "testing", "write", "writing", "call", "calls", "email", "emails", "schedule", "scheduled"),
    *("café", "naïve", "überprüfung", "façade", "résumé", "señor", "smörgåsbord", "crème", "jalapeño", "déjà"),
    *("the", "a", "for", "with", "and", "to", "of", "on", "in", "before"),
]


@dataclass
class Dataset:
    owner: object
    organizations: list
    members: list  # of the first organization, owner included

    @property
    def organization(self):
        return self.organizations[0]


def build(tasks_per_organization: list[int], *, members: int = 20, deleted_percent: int = 0) -> Dataset:
    from django.db import connection, transaction

    from accounts.services import user_create, user_email_mark_verified
    from organizations.models import Role
    from organizations.services import membership_add, organization_create

    owner = user_create(email="owner@bench.example", username="owner", password=None)
    organizations = [
        organization_create(name=f"Bench {i + 1}", created_by=owner) for i in range(len(tasks_per_organization))
    ]
    people = [owner]
    for i in range(1, members):
        user = user_create(email=f"member{i}@bench.example", username=f"member{i}", password=None)
        user.full_name = f"Member {i}"
        user.save(update_fields=["full_name"])
        user_email_mark_verified(user=user, method="staff")  # only a verified address is added directly
        membership_add(organization=organizations[0], email=user.email, role=Role.MEMBER, actor=None)
        people.append(user)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'tasks_app_task' AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cursor.fetchall()
        with transaction.atomic():
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SELECT setseed(0.42)")
            for position, (organization, count) in enumerate(zip(organizations, tasks_per_organization, strict=True)):
                cursor.execute(
                    _INSERT,
                    {
                        "org": organization.pk,
                        "owner": owner.pk,
                        "members": [m.pk for m in people] if position == 0 else [owner.pk],
                        "tasks": count,
                        "deleted": deleted_percent,
                        "words": VOCABULARY,
                        "common": COMMON_WORD,
                        "rare": RARE_WORD,
                        "rare_every": max(count // RARE_HITS, 1) if position == 0 else 0,
                    },
                )
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE tasks_app_task")
    return Dataset(owner=owner, organizations=organizations, members=people)


# Two years of tasks. ``words`` is sampled with a skew (random()^2: the first words are the frequent ones).
_INSERT = """
INSERT INTO tasks_app_task (id, organization_id, title, description, status, priority,
                            created_by_id, assignee_id, due_date, completed_at, created_at, updated_at, deleted_at)
SELECT gen_random_uuid(), %(org)s,
       initcap(w1) || ' the ' || w2 || ' ' || w3 || ' #' || g,
       concat_ws(' ',
                 CASE WHEN random() < 0.3 THEN %(common)s END,
                 CASE WHEN %(rare_every)s > 0 AND g %% %(rare_every)s = 0 AND g / %(rare_every)s <= 20
                      THEN %(rare)s END,
                 NULLIF(array_to_string(ARRAY(
                     SELECT (%(words)s::text[])[1 + floor(random() ^ 2 * cardinality(%(words)s::text[]))::int]
                       FROM generate_series(1, length)
                 ), ' '), '')),
       status, 1 + floor(random() * 4)::int, %(owner)s,
       CASE WHEN random() < 0.1 THEN NULL
            ELSE (%(members)s::uuid[])[1 + floor(random() * cardinality(%(members)s::uuid[]))::int] END,
       CASE WHEN random() < 0.7 THEN (created + (floor(random() * 40) - 10) * interval '1 day')::date END,
       CASE WHEN status = 3
            THEN LEAST(now(), created + interval '1 hour' + random() * random() * interval '30 days') END,
       created, created,
       CASE WHEN random() * 100 < %(deleted)s THEN now() END
FROM (
    SELECT g, now() - random() * interval '730 days' AS created,
           CASE WHEN random() < 0.34 THEN 3 ELSE 1 + floor(random() * 2)::int END AS status,
           (g %% 21) AS length,
           (%(words)s::text[])[1 + floor(random() * cardinality(%(words)s::text[]))::int] AS w1,
           (%(words)s::text[])[1 + floor(random() * cardinality(%(words)s::text[]))::int] AS w2,
           (%(words)s::text[])[1 + floor(random() * cardinality(%(words)s::text[]))::int] AS w3
    FROM generate_series(1, %(tasks)s) AS g
) AS generated
"""
