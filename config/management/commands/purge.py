from django.core.management.base import BaseCommand, CommandError

from config.retention import DEFAULT_BATCH_SIZE, retention_policies, retention_run


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Apply the retention policy (docs/operations.md#retention): delete what is past its age, in short "
        "batches, and print one line per policy. Beat runs the same hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be removed; remove nothing.")
        parser.add_argument(
            "--only", nargs="+", metavar="NAME", help="Run only these policies (default: all). --list names them."
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--list", action="store_true", dest="list_only", help="List the policies and their ages; remove nothing."
        )

    def handle(self, *args, dry_run, only, batch_size, list_only, **options):
        try:
            policies = retention_policies(only)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if list_only:
            for policy in policies:
                self.stdout.write(f"{policy.name}: {policy.summary}")
            return
        verb = "would be removed" if dry_run else "removed"
        failed = []
        for result in retention_run(names=only, batch_size=batch_size, dry_run=dry_run):
            policy = result.policy
            if result.error:
                failed.append(policy.name)
                self.stdout.write(self.style.ERROR(f"{policy.name}: failed: {result.error}"))
                continue
            self.stdout.write(f"{policy.name}: {result.removed} {policy.removes} {verb}: {policy.summary}")
        if failed:
            raise CommandError(f"Retention failed for: {', '.join(failed)} (what ran before the error is kept).")
