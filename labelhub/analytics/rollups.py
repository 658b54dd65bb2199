"""The rollups of the clip facts (models.FactRollup, FactDay, FactLabeler): per speaker, the
sums every page view reads, so the dashboard sums thousands of rows instead of a million.

Each rollup is recomputed whole for the speakers whose facts changed, by the database
(DELETE, then INSERT ... SELECT ... GROUP BY over those speakers' ClipFact rows), in the
transaction that rewrites the facts. A speaker has at most a few hundred clips, so this is
cheap, idempotent and always equal to a rebuild: no delta arithmetic to get wrong.

Two transactions that recompute the same speaker (two facts drains, each with one of its clips)
take the speaker's advisory lock first, so the second waits for the first to commit and then
deletes the first's rows too. Without it, the second's DELETE did not see rows committed after
it started, both sets of rows stayed, and every figure of that speaker counted twice
(tests/analytics/test_drain_locks.py).
"""

from collections.abc import Iterable, Mapping

from django.db import connection
from django.db.models import Count, Model, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from labelhub.analytics.models import ClipFact, FactDay, FactLabeler, FactRollup
from labelhub.analytics.sum_columns import ALL_SUMS, COST_SUMS, summed

# The columns FactRollup groups by, besides campaign and speaker.
ROLLUP_COLUMNS = (
    *("age_band", "gender", "region", "dialect", "speech_style"),
    *("environment", "channel", "device", "draft_model"),
)
ROLLUPS: tuple[type[Model], ...] = (FactRollup, FactDay, FactLabeler)
# Speakers per statement: keeps the IN list and each INSERT's work bounded.
SPEAKER_BATCH = 500
# The advisory lock space of "a speaker's rollups" (two-key locks; recordings' one-key locks
# on checksums live in a space of their own). Ids past 2**31 wrap: a shared lock only waits.
ROLLUP_LOCK_SPACE = 0x524F4C4C  # "ROLL"
INT4 = 2**31 - 1


def _rollup_selects(facts: QuerySet[ClipFact]) -> dict[type[Model], QuerySet]:
    """Per rollup, the grouped query over `facts` whose rows are the rollup's rows."""
    counted = facts.filter(counted=True)
    days = (
        counted.filter(approved=True, approved_at__isnull=False)
        .annotate(day=TruncDate("approved_at", tzinfo=timezone.get_current_timezone()))
        .values("campaign_id", "speaker_id", "day")
        .annotate(clips=Count("pk"), seconds=summed("seconds"))
    )
    return {
        FactRollup: _grouped(counted, ROLLUP_COLUMNS, ALL_SUMS),
        FactDay: days,
        FactLabeler: _grouped(counted.filter(labeled=True), ("labeler_name",), COST_SUMS),
    }


def _grouped(facts: QuerySet[ClipFact], by: Iterable[str], sums: Mapping[str, object]) -> QuerySet:
    # Aliased, because an annotation named like a column (words) would shadow it in F().
    aliased = {f"sum__{name}": expression for name, expression in sums.items()}
    return facts.values("campaign_id", "speaker_id", *by).annotate(**aliased).order_by()


def _insert_select(model: type[Model], select: QuerySet) -> None:
    """INSERT INTO the rollup SELECT the grouped query: the rows never leave the database."""
    compiler = select.query.get_compiler(connection=connection)
    compiler.setup_query()
    names = [alias for _expression, _sql, alias in compiler.select]
    column_of = {field.name: str(field.column) for field in model._meta.concrete_fields}
    column_of |= {field.attname: str(field.column) for field in model._meta.concrete_fields}
    columns = [column_of[name.removeprefix("sum__")] for name in names]
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) {sql}", params)


def rollups_refresh(speaker_ids: Iterable[int]) -> None:
    """Recomputes every rollup row of these speakers from their current ClipFact rows.

    Holds each speaker's rollup lock until the caller's transaction ends, taken in id order
    all at once (so two refreshes never wait on each other in a cycle).
    """
    ids = sorted(set(speaker_ids))
    if ids and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, key)"
                " FROM (SELECT unnest(%s::int[]) AS key ORDER BY 1) AS keys",
                [ROLLUP_LOCK_SPACE, [pk % INT4 for pk in ids]],
            )
    for start in range(0, len(ids), SPEAKER_BATCH):
        batch = ids[start : start + SPEAKER_BATCH]
        for model, select in _rollup_selects(ClipFact.objects.filter(speaker_id__in=batch)).items():
            model._default_manager.filter(speaker_id__in=batch).delete()
            _insert_select(model, select)


def rollups_rebuild_campaign(campaign_id: int) -> None:
    """Rewrites the campaign's rollups from all its facts in one statement each (bulk loads)."""
    for model, select in _rollup_selects(ClipFact.objects.filter(campaign_id=campaign_id)).items():
        model._default_manager.filter(campaign_id=campaign_id).delete()
        _insert_select(model, select)
