"""The claim's hot path in SQL: where a labeler stands, and the lease of their next task.

Raw SQL because the ORM cannot say either in one statement, and because building its Q trees
was ~90% of a claim's time (claim_queries.py --profile): a claim through the API is now the
token, standing(), lease_next() (or task_with_recording() for a held task) and the task's text.
The open-queue conditions mirror claim_rules.claimable and not_reserved_for_another, which
the longer ORM paths (segment runs) still use; tests/labeling pins both.
"""

from datetime import datetime
from types import ModuleType
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from labelhub.accounts.models import User
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.dispatch import STALE_FACTS_TABLE
from labelhub.labeling import claim_orm
from labelhub.labeling.claim_rules import Chain, Standing, SubmitTarget
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.sql_rows import from_row, hot_cursor, select_list, width

# Models read together, with the SQL alias each has in the statements below.
_JOINED: tuple[tuple[type[Model], str], ...] = (
    (Task, "t"),
    (Recording, "r"),
    (Campaign, "c"),
    (Prompt, "p"),
)
_JOINS = (
    "JOIN recordings_recording r ON r.id = t.recording_id "
    "JOIN campaigns_campaign c ON c.id = r.campaign_id "
    "LEFT JOIN campaigns_prompt p ON p.id = r.prompt_id"
)


def _orm() -> ModuleType | None:
    """claim_orm, where the database is not PostgreSQL: SQLite, `make demo`'s default, has none
    of the SQL below."""
    return None if connection.vendor == "postgresql" else claim_orm


# campaigns_open_to(user) for a labeler or reviewer: campaigns listing them or listing nobody.
_OPEN_CAMPAIGNS = """
    SELECT c.id FROM campaigns_campaign c
    WHERE NOT EXISTS (SELECT 1 FROM campaigns_campaign_labelers m WHERE m.campaign_id = c.id)
       OR EXISTS (SELECT 1 FROM campaigns_campaign_labelers m
                  WHERE m.campaign_id = c.id AND m.user_id = %(user)s)
"""

_HELD = """
    (t.status = 'open' AND t.assignee_id = %(user)s AND t.lease_expires_at >= %(now)s)
    OR (t.double_status = 'pending' AND t.double_assignee_id = %(user)s
        AND t.double_lease_expires_at >= %(now)s)
"""

# One row: the task they hold (held first, as services._held), the campaigns open to them
# (as values: given the membership subquery PostgreSQL guessed half the campaigns match and
# walked the whole queue, 3.4 s at 1M tasks; given the ids it reads the per-campaign queue
# index, 1 ms: claim_explain.py), and
# the long-form sources they last worked on (services._continue_a_source).
_STANDING = f"""
    SELECT
        (SELECT t.id FROM labeling_task t WHERE {_HELD}
         ORDER BY t.priority DESC, t.created_at LIMIT 1),
        CASE WHEN %(pm)s THEN NULL ELSE ARRAY({_OPEN_CAMPAIGNS}) END,
        ARRAY(SELECT r.source_id FROM labeling_task t
              JOIN recordings_recording r ON r.id = t.recording_id
              WHERE t.labeler_id = %(user)s AND r.kind = 'segment'
              ORDER BY t.updated_at DESC LIMIT 50)
"""

_READY = (
    "EXISTS (SELECT 1 FROM recordings_recording rr WHERE rr.id = t.recording_id "
    "AND rr.status = 'ready')"
)
_CLAIMABLE = (
    "t.status = 'open' AND (t.assignee_id IS NULL OR t.lease_expires_at < %(now)s) "
    f"AND {_READY} {{scope}}"
)
_NOT_RESERVED = (
    "(t.times_returned = 0 OR t.labeler_id IS NULL OR t.labeler_id = %(user)s "
    "OR t.updated_at < %(reserved_before)s)"
)
_ORDER = "ORDER BY t.priority DESC, t.created_at LIMIT 1 FOR NO KEY UPDATE OF t SKIP LOCKED"
# Each queue in the order a claim tries them, each a WITH query (PostgreSQL refuses FOR UPDATE
# inside UNION): it evaluates a WITH query only as far as the parent reads it, so UNION ALL
# ... LIMIT 1 stops at the first queue with a task and a later queue locks nothing.
QUEUES = {
    "returned": f"""SELECT t.id, 'returned' AS queue FROM labeling_task t
        WHERE t.labeler_id = %(user)s AND t.times_returned > 0 AND {_CLAIMABLE} {_ORDER}""",
    "open": f"""SELECT t.id, 'open' AS queue FROM labeling_task t
        WHERE {_CLAIMABLE} AND {_NOT_RESERVED} {_ORDER}""",
    "double": f"""SELECT t.id, 'double' AS queue FROM labeling_task t
        WHERE t.double_status = 'pending' AND t.status IN ('submitted', 'approved')
          AND t.labeler_id IS DISTINCT FROM %(user)s
          AND (t.double_assignee_id IS NULL OR t.double_lease_expires_at < %(now)s)
          AND {_READY} {{scope}} {_ORDER}""",
}

# The first task of the queues asked for, leased in the same statement and returned with its
# recording, campaign and prompt: nothing to re-read. A double pass leases the double columns.
_LEASE = """
    WITH {queues},
    picked AS MATERIALIZED ({union} LIMIT 1),
    leased AS (
        UPDATE labeling_task t SET
            assignee_id = CASE WHEN picked.queue = 'double' THEN t.assignee_id
                               ELSE %(user)s END,
            lease_expires_at = CASE WHEN picked.queue = 'double' THEN t.lease_expires_at
                                    ELSE %(until)s END,
            updated_at = CASE WHEN picked.queue = 'double' THEN t.updated_at
                              ELSE %(now)s END,
            double_assignee_id = CASE WHEN picked.queue = 'double' THEN %(user)s
                                      ELSE t.double_assignee_id END,
            double_lease_expires_at = CASE WHEN picked.queue = 'double' THEN %(until)s
                                           ELSE t.double_lease_expires_at END
        FROM picked WHERE t.id = picked.id
        RETURNING t.*, picked.queue
    )
    SELECT {columns}, t.queue FROM leased t {joins}
"""


def standing(*, user: User, now: datetime) -> Standing:
    """The task the user holds, the campaigns open to them and their recent long-form sources."""
    if (orm := _orm()) is not None:
        return orm.standing(user=user, now=now)
    with hot_cursor() as cursor:
        cursor.execute(_STANDING, {"user": user.pk, "now": now, "pm": user.is_pm})
        held_id, campaign_ids, recent = cursor.fetchone()
    if not user.is_labeling_staff:
        campaign_ids = []  # campaigns_open_to gives anyone else no campaign at all
    sources = [pk for pk in dict.fromkeys(recent) if pk is not None][:3]
    return Standing(held_id=held_id, campaign_ids=campaign_ids, recent_sources=sources)


def lease_next(
    *,
    user: User,
    now: datetime,
    until: datetime,
    reserved_before: datetime,
    campaign_ids: list[int] | None,
    queues: tuple[str, ...],
) -> tuple[Task, str] | None:
    """Leases the first task of `queues` (keys of QUEUES, tried in order) to the user.

    Returns the task, its recording, campaign and prompt loaded, and the queue it came from;
    None when every queue is empty. One statement, so it needs no transaction of its own.
    """
    if (orm := _orm()) is not None:
        return orm.lease_next(
            user=user, now=now, until=until, reserved_before=reserved_before,
            campaign_ids=campaign_ids, queues=queues,
        )  # fmt: skip
    if campaign_ids == []:
        return None
    sql, params = lease_statement(
        user=user,
        now=now,
        until=until,
        reserved_before=reserved_before,
        campaign_ids=campaign_ids,
        queues=queues,
    )
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _task_from_row(row[:-1]), row[-1]


def lease_statement(
    *,
    user: User,
    now: datetime,
    until: datetime,
    reserved_before: datetime,
    campaign_ids: list[int] | None,
    queues: tuple[str, ...],
) -> tuple[str, dict[str, Any]]:
    """lease_next's SQL and parameters (benchmarks/claim_explain.py prints its plan)."""
    # IN (a, b, ...), as the ORM writes it: for one campaign PostgreSQL reads that as "=" and
    # walks task_open_queue in order; = ANY(array) made it scan the status index (150 ms at
    # 100k tasks). The ids are ints the database gave standing().
    scope = "" if campaign_ids is None else f"AND t.campaign_id IN ({_ints(campaign_ids)})"
    sql = _LEASE.format(
        queues=", ".join(f"q_{name} AS ({QUEUES[name].format(scope=scope)})" for name in queues),
        union=" UNION ALL ".join(f"SELECT * FROM q_{name}" for name in queues),
        columns=_columns(),
        joins=_JOINS,
    )
    params: dict[str, Any] = {
        "user": user.pk,
        "now": now,
        "until": until,
        "reserved_before": reserved_before,
    }
    return sql, params


def task_with_recording(*, task_id: int) -> Task:
    """The task with its recording, campaign and prompt: what TaskSerializer reads, in one
    query."""
    if (orm := _orm()) is not None:
        return orm.task_with_recording(task_id=task_id)
    sql = f"SELECT {_columns()} FROM labeling_task t {_JOINS} WHERE t.id = %(id)s"
    with hot_cursor() as cursor:
        cursor.execute(sql, {"id": task_id})
        return _task_from_row(cursor.fetchone())


def _ints(values: list[int]) -> str:
    return ", ".join(str(int(value)) for value in values)


def _columns() -> str:
    return ", ".join(select_list(model, alias) for model, alias in _JOINED)


def _task_from_row(row: tuple[Any, ...]) -> Task:
    """Model instances from one row of _columns(), converted as the ORM converts its reads."""
    instances: list[Model | None] = []
    offset = 0
    for model, _alias in _JOINED:
        values = row[offset : offset + width(model)]
        offset += width(model)
        # None: the LEFT JOIN found no prompt.
        instances.append(None if values[0] is None else from_row(model, values))
    task, recording, campaign, prompt = instances
    assert isinstance(task, Task) and isinstance(recording, Recording)
    assert isinstance(campaign, Campaign)
    recording.campaign = campaign
    recording.prompt = prompt if isinstance(prompt, Prompt) else None
    task.recording = recording
    return task


# The task and its recording locked as services.task_submit always locked them (not the
# campaign: that made every submit in a campaign wait for the one before), the chain's head and
# the next revision number, in one statement. With %(scoped)s, only a task
# selectors.tasks_open_to(user) holds.
_FOR_SUBMIT = f"""
    SELECT {{columns}}, head.id, head.language,
        (SELECT COALESCE(MAX(n.number), 0) + 1 FROM labeling_transcriptrevision n
         WHERE n.recording_id = t.recording_id)
    FROM labeling_task t {_JOINS}
    LEFT JOIN LATERAL (
        SELECT h.id, h.language FROM labeling_transcriptrevision h
        WHERE h.recording_id = t.recording_id AND h.kind <> 'double'
        ORDER BY h.number DESC LIMIT 1
    ) head ON true
    WHERE t.id = %(task)s AND (NOT %(scoped)s OR t.assignee_id = %(user)s
        OR t.double_assignee_id = %(user)s OR t.campaign_id IN ({_OPEN_CAMPAIGNS}))
    FOR NO KEY UPDATE OF t, r
"""


def task_for_submit(*, task_id: int, user: User, scoped: bool) -> SubmitTarget | None:
    """The task, locked, for `user` to submit; None when there is none (for them, `scoped`).

    The caller holds a transaction and checks the holder, the status and the base revision."""
    if (orm := _orm()) is not None:
        return orm.task_for_submit(task_id=task_id, user=user, scoped=scoped)
    if scoped and not user.is_labeling_staff:
        return None  # selectors.tasks_open_to holds nothing for them
    sql = _FOR_SUBMIT.format(columns=_columns())
    params = {"task": task_id, "user": user.pk, "scoped": scoped and not user.is_pm}
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return SubmitTarget(
        task=_task_from_row(row[:-3]),
        latest_id=row[-3],
        latest_language=row[-2] or "",
        next_number=row[-1],
    )


def submit_write(*, task: Task, revision: TranscriptRevision, fields: tuple[str, ...]) -> None:
    """Saves `fields` of the task, inserts the unsaved `revision` and marks the clip's facts
    stale, in one statement.

    Sets revision.pk. The values are those the ORM would write (pre_save, get_db_prep_save)."""
    if (orm := _orm()) is not None:
        orm.submit_write(task=task, revision=revision, fields=fields)
        return
    now = timezone.now()
    task.updated_at = now
    names = {*fields, "updated_at"}
    task_fields = [f for f in Task._meta.concrete_fields if f.name in names]
    revision_fields = [f for f in TranscriptRevision._meta.concrete_fields if not f.primary_key]
    params: dict[str, Any] = {"task": task.pk}
    for field in task_fields:
        value = getattr(task, field.attname)
        params[f"t_{field.column}"] = field.get_db_prep_save(value, connection)
    for field in revision_fields:
        value = field.pre_save(revision, add=True)
        params[f"r_{field.column}"] = field.get_db_prep_save(value, connection)
    sets = ", ".join(f"{f.column} = %(t_{f.column})s" for f in task_fields)
    columns = ", ".join(f"{f.column}" for f in revision_fields)
    # Each value cast to its column's type: in a SELECT list a parameter has no column to take
    # its type from, and bound on the server an untyped NULL or text would not go into an
    # integer or JSON column.
    values = ", ".join(
        f"CAST(%(r_{f.column})s AS {f.db_type(connection)})" for f in revision_fields
    )
    # The clip's facts are marked stale in the same statement (dispatch.clip_facts_mark).
    params["recording"], params["now"] = task.recording_id, now
    sql = f"""
        WITH closed AS (UPDATE labeling_task SET {sets} WHERE id = %(task)s RETURNING id),
        marked AS (
            INSERT INTO {STALE_FACTS_TABLE} (recording_id, marked_at)
            SELECT CAST(%(recording)s AS bigint), CAST(%(now)s AS timestamptz) FROM closed
            ON CONFLICT (recording_id) DO NOTHING
        )
        INSERT INTO labeling_transcriptrevision ({columns}) SELECT {values} FROM closed
        RETURNING id
    """
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        (revision.pk,) = cursor.fetchone()
    revision._state.adding = False
    revision._state.db = connection.alias


# The head of a clip's chain (second transcriptions stand beside it) and its latest ASR draft,
# each with its author: the two revisions the workbench opens with. Two index reads on
# (recording, number), however long the chain, where the ORM read every revision.
_CHAIN = f"""
    (SELECT {select_list(TranscriptRevision, "v")}, {select_list(User, "a")}
     FROM labeling_transcriptrevision v LEFT JOIN accounts_user a ON a.id = v.author_id
     WHERE v.recording_id = %(recording)s AND v.kind <> 'double'
     ORDER BY v.number DESC LIMIT 1)
    UNION ALL
    (SELECT {select_list(TranscriptRevision, "v")}, {select_list(User, "a")}
     FROM labeling_transcriptrevision v LEFT JOIN accounts_user a ON a.id = v.author_id
     WHERE v.recording_id = %(recording)s AND v.kind = 'asr_draft'
     ORDER BY v.number DESC LIMIT 1)
"""


def transcript_chain(*, recording_id: int) -> Chain:
    """The head of the recording's transcript chain and its latest ASR draft, authors loaded,
    in one query (the same instance when the head is the draft)."""
    if (orm := _orm()) is not None:
        return orm.transcript_chain(recording_id=recording_id)
    with hot_cursor() as cursor:
        cursor.execute(_CHAIN, {"recording": recording_id})
        rows = cursor.fetchall()
    revisions = [_revision_from_row(row) for row in rows]
    head = max(revisions, key=lambda revision: revision.number, default=None)
    draft = next((r for r in revisions if r.kind == TranscriptRevision.Kind.ASR_DRAFT), None)
    if head is not None and draft is not None and head.pk == draft.pk:
        draft = head
    return Chain(head=head, asr_draft=draft)


def _revision_from_row(row: tuple[Any, ...]) -> TranscriptRevision:
    revision = from_row(TranscriptRevision, row[: width(TranscriptRevision)])
    author = row[width(TranscriptRevision) :]
    revision.author = None if author[0] is None else from_row(User, author)
    return revision
