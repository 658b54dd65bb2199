"""How long the PM's analytics dashboard takes to render for one very large campaign.

Seeds one campaign with N clips straight into the tables the dashboard reads (speakers,
recordings, their ClipFact rows and the per-speaker rollups, made by the database with
INSERT ... SELECT), in its
own database, then renders the real dashboard view through Django's test Client signed in as
the PM: one warm-up, then 5 timed renders (median and max), and the asr-error CSV export.
A campaign already seeded with N clips is reused, so a second run only measures. Last line,
one JSON object:
  {"clips", "dashboard_ms", "dashboard_max_ms", "csv_ms"}

    .venv/bin/python benchmarks/dashboard.py --clips 1000000

The database is DATABASE_URL's server with the name labelhub_bench_dashboard (or --database),
created and migrated when missing.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")

DIALECTS = ("standard", "jeolla", "gyeongsang", "chungcheong", "jeju")
AGES = ("20s", "30s", "40s", "50s", "60s")
GENDERS = ("female", "male")


def use_database(name: str) -> None:
    """Points DATABASE_URL at `name` on the same server, creating the database if missing."""
    import psycopg

    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{name}"))


def seed(clips: int, speakers: int) -> int:
    """The campaign with `clips` seeded clips (made now unless one exists); returns its id."""
    from labelhub.accounts.models import Organisation, User
    from labelhub.analytics.models import ClipFact, FactRollup
    from labelhub.campaigns.models import Campaign, QuotaCell

    name = f"bench-dashboard-{clips}"
    found = Campaign.objects.filter(name=name).first()
    if found and ClipFact.objects.filter(campaign=found).count() == clips:
        if not FactRollup.objects.filter(campaign=found).exists():  # seeded before rollups
            _fill_rollups(found.pk)
        return found.pk
    if found:
        ClipFact.objects.filter(campaign=found).delete()
        found.recordings.all().delete()
        found.speakers.all().delete()
        found.delete()
    client, _ = Organisation.objects.get_or_create(
        name="bench-dashboard", defaults={"kind": Organisation.Kind.CLIENT}
    )
    pm, _ = User.objects.get_or_create(username="bench-dashboard-pm", defaults={"role": "pm"})
    campaign = Campaign.objects.create(name=name, client=client, language="ko", created_by=pm)
    QuotaCell.objects.bulk_create(
        QuotaCell(campaign=campaign, age_band=age, gender=gender, target_clips=clips // 10)
        for age in AGES
        for gender in GENDERS
    )
    _seed_speakers(campaign, speakers)
    _seed_clips(campaign, clips)
    return campaign.pk


def _seed_speakers(campaign, count: int) -> None:
    from labelhub.speakers.models import Speaker

    rng = random.Random(1)
    Speaker.objects.bulk_create(
        Speaker(
            campaign=campaign,
            code=f"BD-{index:06d}",
            age_band=rng.choice(AGES),
            gender=rng.choice(GENDERS),
            dialect=rng.choice(DIALECTS),
        )
        for index in range(count)
    )


def _seed_clips(campaign, clips: int) -> None:
    """Recordings and their facts made by the database itself (INSERT ... SELECT over
    generate_series): a million rows in a minute or two, where building them in Python and
    COPYing them takes half an hour on a busy machine."""
    from django.db import connection

    from labelhub.recordings.models import Recording

    overrides = {
        "uid": "md5(g::text || clock_timestamp()::text)::uuid",
        "campaign_id": "%(campaign)s",
        "speaker_id": "spk.id",
        "raw_file": "'raw/bench/' || g || '.wav'",
        "raw_sha256": "md5(g::text || clock_timestamp()::text) || md5(g::text)",
        "raw_size_bytes": "96000",
        "original_filename": "g || '.wav'",
        "original_suffix": "'.wav'",
        "status": "'ready'",
        "duration_seconds": "1.5 + random() * 6.5",
    }
    columns, values = [], []
    params: dict[str, object] = {"campaign": campaign.pk, "clips": clips}
    for field in Recording._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in overrides:
            values.append(overrides[field.column])
        else:
            params[field.column] = _default(field)
            values.append(f"%({field.column})s")
    speakers = (
        "WITH spk AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n "
        "FROM speakers_speaker WHERE campaign_id = %(campaign)s), "
        "total AS (SELECT count(*) AS speakers FROM spk) "
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        # Rows an interrupted earlier seed left behind may be ahead of the id sequence.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('recordings_recording', 'id'), "
            "coalesce(max(id), 1)) FROM recordings_recording"
        )
        cursor.execute(
            f"{speakers}INSERT INTO recordings_recording ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(1, %(clips)s) AS g "
            "CROSS JOIN total JOIN spk ON spk.n = g %% total.speakers",
            params,
        )
        print(f"seeded {clips} recordings", flush=True)
        cursor.execute(FACTS_SQL, {"campaign": campaign.pk, "now": _default_now()})
        print(f"seeded {clips} clip facts", flush=True)
        # As autovacuum would leave them: planner statistics, and the visibility map that
        # lets the counts be index-only scans.
        cursor.execute("VACUUM ANALYZE recordings_recording")
        cursor.execute("VACUUM ANALYZE analytics_clipfact")
    _fill_rollups(campaign.pk)


def _fill_rollups(campaign_id: int) -> None:
    """The campaign's rollups, made by the database from its facts (INSERT ... SELECT)."""
    from django.db import connection

    from labelhub.analytics.rollups import rollups_rebuild_campaign

    began = time.perf_counter()
    rollups_rebuild_campaign(campaign_id)
    with connection.cursor() as cursor:
        for table in ("analytics_factrollup", "analytics_factday", "analytics_factlabeler"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"filled the rollups in {time.perf_counter() - began:.0f} s", flush=True)


def _default_now() -> str:
    from django.utils import timezone

    return timezone.now().isoformat()


def _default(field) -> object:
    from django.utils import timezone

    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now().isoformat()
    if field.get_internal_type() == "JSONField":
        return json.dumps(field.get_default())
    return field.get_default()


# One fact per seeded recording: 80% approved, Korean-like lengths, error growing with the
# dialect and the room, as the demo data has it.
FACTS_SQL = """
INSERT INTO analytics_clipfact (
    recording_id, campaign_id, counted, speaker_id, speaker_code, age_band, gender, region,
    dialect, speech_style, environment, channel, device, seconds, collected, approved,
    approved_at, draft_model, has_draft, measured, word_edits, words, char_edits, chars,
    clip_wer, clip_cer, edited, draft_text, final_text, labeled, labeler_name, work_seconds,
    review_decisions, returned, has_double, double_char_edits, double_chars, refreshed_at)
SELECT id, %(campaign)s, true, speaker_id, code, age_band, gender, region, dialect, 'read',
    env, '', '', duration_seconds, true, approved,
    CASE WHEN approved THEN timestamptz '2026-11-01' + (random() * 27) * interval '1 day' END,
    CASE WHEN random() < 0.5 THEN 'faster-whisper small' ELSE 'faster-whisper large-v3' END,
    true, approved, word_edits, words, char_edits, chars,
    CASE WHEN approved THEN word_edits::float / words END,
    CASE WHEN approved THEN char_edits::float / chars END,
    approved AND char_edits > 0, '볼륨 올려 줘', '볼륨 올려 줘', approved,
    'labeler-' || (1 + floor(random() * 40))::int,
    CASE WHEN approved THEN 5 + random() * 55 ELSE 0 END,
    approved::int, (random() < 0.05)::int, false, 0, 0, %(now)s
FROM (
    SELECT r.id, r.speaker_id, r.duration_seconds, s.code, s.age_band, s.gender, s.region,
        s.dialect, e.env, a.approved,
        CASE WHEN a.approved THEN l.chars ELSE 0 END AS chars,
        CASE WHEN a.approved THEN greatest(l.chars / 3, 1) ELSE 0 END AS words,
        CASE WHEN a.approved THEN least(l.chars, floor(-ln(1 - random()) * l.chars * e.noise
            * (CASE s.dialect WHEN 'standard' THEN 1 ELSE 2 END))::int) ELSE 0 END
            AS char_edits,
        CASE WHEN a.approved THEN least(greatest(l.chars / 3, 1), floor(-ln(1 - random())
            * greatest(l.chars / 3, 1) * e.noise * 1.5)::int) ELSE 0 END AS word_edits
    FROM recordings_recording r
    JOIN speakers_speaker s ON s.id = r.speaker_id
    CROSS JOIN LATERAL (SELECT random() < 0.8 AS approved, r.id) a
    CROSS JOIN LATERAL (SELECT 5 + floor(random() * 36)::int AS chars, r.id) l
    CROSS JOIN LATERAL (SELECT (ARRAY['quiet room', 'car', 'street', 'cafe'])[1 + (r.id %% 4)]
        AS env, (ARRAY[0.04, 0.08, 0.12, 0.1])[1 + (r.id %% 4)] AS noise) e
    WHERE r.campaign_id = %(campaign)s
) clip
"""


def measure(campaign_id: int, renders: int) -> dict:
    from django.test import Client

    from labelhub.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench-dashboard-pm"))
    url = f"/analytics/{campaign_id}/"
    assert client.get(url).status_code == 200  # warm-up
    times = []
    for _ in range(renders):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    began = time.perf_counter()
    response = client.get(f"/analytics/{campaign_id}/asr-error.csv?by=dialect")
    csv_ms = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, response.status_code
    return {
        "dashboard_ms": round(statistics.median(times), 1),
        "dashboard_max_ms": round(max(times), 1),
        "csv_ms": round(csv_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--speakers", type=int, default=0, help="default: clips / 200")
    parser.add_argument("--renders", type=int, default=5)
    parser.add_argument("--database", default="labelhub_bench_dashboard")
    args = parser.parse_args()
    use_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    campaign_id = seed(args.clips, args.speakers or max(args.clips // 200, 10))
    print(f"seeded (or reused) in {time.perf_counter() - began:.0f} s", flush=True)
    result = {"clips": args.clips, **measure(campaign_id, args.renders)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
