"""Background load for the claim benchmark: N tasks over 200 campaigns, seeded in SQL.

Each background campaign lists one labeler of its own, so its tasks are claimable (by that
labeler) but never open to the benchmark's labelers: the claim query has to find the
benchmark campaign's few tasks among a million others, which is what the indexes are for.
Rows are written by INSERT ... SELECT over generate_series, so the server builds them without a
round trip per row (a million tasks with their recordings in a few minutes on two cores).
"""

import time
from typing import Any

BACKGROUND = "bench-background"
BATCH = 100_000


def _template_values(instance: Any, skip: set[str]) -> dict[str, Any]:
    """The database values of a model instance's columns, as Django would save them."""
    from django.db import connection

    values = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.column in skip:
            continue
        value = field.pre_save(instance, add=True)
        values[field.column] = field.get_db_prep_save(value, connection)
    return values


def _insert_select(table: str, constants: dict[str, Any], exprs: dict[str, str], source: str,
                   params: list[Any]) -> int:  # fmt: skip
    from django.db import connection

    columns = list(constants) + list(exprs)
    select = ["%s"] * len(constants) + list(exprs.values())
    quoted = ", ".join(f'"{column}"' for column in columns)
    sql = f'INSERT INTO "{table}" ({quoted}) SELECT {", ".join(select)} {source}'
    with connection.cursor() as cursor:
        cursor.execute(sql, list(constants.values()) + params)
        return cursor.rowcount


def background_count() -> int:
    from labelhub.campaigns.models import Campaign
    from labelhub.recordings.models import Recording

    # Recordings, counted on their campaign index: a join count over 1M tasks takes half a minute.
    ids = Campaign.objects.filter(client__name=BACKGROUND).values("pk")
    return Recording.objects.filter(campaign_id__in=ids).count()


def seed_background(tasks: int, campaigns: int = 200) -> None:
    """Adds `tasks` tasks (4 in 5 open, priorities 0-9) with READY recordings over `campaigns`."""
    from django.db import transaction

    from labelhub.accounts.models import Organisation, User
    from labelhub.campaigns.models import Campaign
    from labelhub.labeling.models import Task
    from labelhub.recordings.models import Recording
    from labelhub.speakers.models import Speaker

    began = time.perf_counter()
    client = Organisation.objects.create(name=BACKGROUND, kind=Organisation.Kind.CLIENT)
    pm = User.objects.create(username=f"{BACKGROUND}-pm", role=User.Role.PM)
    pairs = []
    for index in range(campaigns):
        campaign = Campaign.objects.create(
            name=f"{BACKGROUND}-{index}", client=client, language="en", created_by=pm
        )
        member = User.objects.create(username=f"{BACKGROUND}-{index}", role=User.Role.LABELER)
        campaign.labelers.add(member)
        speaker = Speaker.objects.create(campaign=campaign, code=f"BG-{index}")
        pairs.append((campaign.pk, speaker.pk))
    campaign_ids = [c for c, _ in pairs]
    speaker_ids = [s for _, s in pairs]
    recording = Recording(
        campaign_id=campaign_ids[0], speaker_id=speaker_ids[0], raw_file="x", raw_sha256="0" * 64,
        raw_size_bytes=1, original_filename="bench.wav", original_suffix=".wav",
        status=Recording.Status.READY, duration_seconds=5.0,
    )  # fmt: skip
    constants = _template_values(recording, {"campaign_id", "speaker_id", "uid", "raw_file"})
    task_constants = _template_values(
        Task(recording_id=0), {"recording_id", "campaign_id", "status", "priority"}
    )
    for start in range(0, tasks, BATCH):
        stop = min(tasks, start + BATCH)
        with transaction.atomic():
            # The batch's recordings are the ones after the last id before it.
            after = Recording.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            _insert_select(
                Recording._meta.db_table,
                constants,
                {
                    "campaign_id": f"(%s::bigint[])[1 + g %% {campaigns}]",
                    "speaker_id": f"(%s::bigint[])[1 + g %% {campaigns}]",
                    "uid": "gen_random_uuid()",
                    "raw_file": f"'raw/{BACKGROUND}/' || g || '.wav'",
                },
                "FROM generate_series(%s, %s) AS g",
                [campaign_ids, speaker_ids, start, stop - 1],
            )
            _insert_select(
                Task._meta.db_table,
                task_constants,
                {
                    "recording_id": "r.id",
                    "campaign_id": "r.campaign_id",
                    "status": "CASE WHEN r.id %% 5 = 0 THEN 'approved' ELSE 'open' END",
                    "priority": "r.id %% 10",
                },
                f'FROM "{Recording._meta.db_table}" r WHERE r.id > %s AND r.raw_file LIKE %s',
                [after, f"raw/{BACKGROUND}/%"],
            )
        print(f"  background: {stop:,} of {tasks:,} tasks, {time.perf_counter() - began:.0f} s",
              flush=True)  # fmt: skip
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{Recording._meta.db_table}", "{Task._meta.db_table}"')


def cleanup_background() -> None:
    from django.db import connection

    from labelhub.accounts.models import Organisation, User
    from labelhub.campaigns.models import Campaign
    from labelhub.labeling.models import Task, TranscriptRevision
    from labelhub.recordings.models import Recording
    from labelhub.speakers.models import Speaker

    ids = list(Campaign.objects.filter(client__name=BACKGROUND).values_list("pk", flat=True))
    if not ids:
        return
    TranscriptRevision.objects.filter(recording__campaign_id__in=ids).delete()
    with connection.cursor() as cursor:  # a million rows: no per-row signals or collection
        cursor.execute(
            f'DELETE FROM "{Task._meta.db_table}" t USING "{Recording._meta.db_table}" r '
            "WHERE t.recording_id = r.id AND r.campaign_id = ANY(%s)",
            [ids],
        )
        cursor.execute(
            f'DELETE FROM "{Recording._meta.db_table}" WHERE campaign_id = ANY(%s)', [ids]
        )
    Speaker.objects.filter(campaign_id__in=ids).delete()
    Campaign.objects.filter(pk__in=ids).delete()
    User.objects.filter(username__startswith=f"{BACKGROUND}-").delete()
    Organisation.objects.filter(name=BACKGROUND).delete()
