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

1% of the first organization's tasks mention ``MENTIONED`` (the second member). ``grow(dataset, [...])``
adds tasks to reach larger sizes (a scale curve reuses one data set: 10k, then 100k, then 1M).

Needs PostgreSQL (``generate_series``, ``gen_random_uuid``).
"""

from dataclasses import dataclass

COMMON_WORD = "report"
RARE_WORD = "zeppelin"
RARE_HITS = 20
MENTIONED = 2  # members[2] is mentioned in 1% of the first organization's tasks
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
    sizes: list  # tasks per organization so far

    @property
    def organization(self):
        return self.organizations[0]


def build(tasks_per_organization: list[int], *, members: int = 20, deleted_percent: int = 0) -> Dataset:

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

    dataset = Dataset(owner=owner, organizations=organizations, members=people, sizes=[0] * len(organizations))
    grow(dataset, tasks_per_organization, deleted_percent=deleted_percent)
    return dataset


def grow(dataset: Dataset, tasks_per_organization: list[int], *, deleted_percent: int = 0) -> Dataset:
    """Add tasks until each organization has the number given (the rare word only in the first load)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'tasks_app_task' AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cursor.fetchall()
        with transaction.atomic():
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SELECT setseed(%s)", [0.42 - sum(dataset.sizes) / 1e9])
            for position, organization in enumerate(dataset.organizations):
                count = tasks_per_organization[position] - dataset.sizes[position]
                if count <= 0:
                    continue
                first = position == 0 and dataset.sizes[0] == 0
                cursor.execute(
                    _INSERT,
                    {
                        "org": organization.pk,
                        "owner": dataset.owner.pk,
                        "members": [m.pk for m in dataset.members] if position == 0 else [dataset.owner.pk],
                        "tasks": count,
                        "deleted": deleted_percent,
                        "words": VOCABULARY,
                        "common": COMMON_WORD,
                        "rare": RARE_WORD,
                        "rare_every": max(count // RARE_HITS, 1) if first else 0,
                        "language": organization.language,
                        # @mentions of one member in 1% of the first organization's tasks (TaskMention rows).
                        "mentioned": dataset.members[MENTIONED].pk if position == 0 else None,
                    },
                )
                dataset.sizes[position] = tasks_per_organization[position]
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE tasks_app_task")
        cursor.execute("VACUUM ANALYZE tasks_app_taskmention")
    return dataset


# Two years of tasks. ``words`` is sampled with a skew (random()^2: the first words are the frequent ones).
_INSERT = """
WITH new AS (
INSERT INTO tasks_app_task (id, organization_id, title, description, status, priority, created_by_id, assignee_id,
                            due_date, completed_at, created_at, updated_at, deleted_at, search_language)
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
       CASE WHEN random() * 100 < %(deleted)s THEN now() END,
       %(language)s::regconfig
FROM (
    SELECT g, now() - random() * interval '730 days' AS created,
           CASE WHEN random() < 0.34 THEN 3 ELSE 1 + floor(random() * 2)::int END AS status,
           (g %% 21) AS length,
           (%(words)s::text[])[1 + floor(random() * cardinality(%(words)s::text[]))::int] AS w1,
           (%(words)s::text[])[1 + floor(random() * cardinality(%(words)s::text[]))::int] AS w2,
           (%(words)s::text[])[1 + floor(random() * cardinality(%(words)s::text[]))::int] AS w3
    FROM generate_series(1, %(tasks)s) AS g
) AS generated
RETURNING id, created_at
)
INSERT INTO tasks_app_taskmention (task_id, user_id, explicit, in_description, created_at)
SELECT id, %(mentioned)s, false, true, created_at FROM new WHERE %(mentioned)s::uuid IS NOT NULL AND random() < 0.01
"""
