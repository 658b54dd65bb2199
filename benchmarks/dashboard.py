"""How long the PM's analytics dashboard takes to render for one very large campaign.

Seeds one campaign with N clips straight into the tables the dashboard reads (speakers,
recordings and their ClipFact rows, by COPY), in its own database, then renders the real
dashboard view through Django's test Client signed in as the PM: one warm-up, then 5 timed
renders (median and max), and the asr-error CSV export. A campaign already seeded with N clips
is reused, so a second run only measures. Last line, one JSON object:
  {"clips", "dashboard_ms", "dashboard_max_ms", "csv_ms"}

    .venv/bin/python benchmarks/dashboard.py --clips 1000000

The database is DATABASE_URL's server with the name labelhub_bench_dashboard (or --database),
created and migrated when missing.
"""

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelhub.settings")

DIALECTS = ("standard", "jeolla", "gyeongsang", "chungcheong", "jeju")
AGES = ("20s", "30s", "40s", "50s", "60s")
GENDERS = ("female", "male")
ENVIRONMENTS = ("quiet room", "car", "street", "cafe")
MODELS = ("faster-whisper small", "faster-whisper large-v3")
BATCH = 50_000


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
    from labelhub.analytics.models import ClipFact
    from labelhub.campaigns.models import Campaign, QuotaCell

    name = f"bench-dashboard-{clips}"
    found = Campaign.objects.filter(name=name).first()
    if found and ClipFact.objects.filter(campaign=found).count() == clips:
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
    speaker_rows = _seed_speakers(campaign, speakers)
    _seed_clips(campaign, speaker_rows, clips)
    return campaign.pk


def _seed_speakers(campaign, count: int) -> list[tuple[int, str, str, str, str]]:
    from labelhub.speakers.models import Speaker

    rng = random.Random(1)
    made = Speaker.objects.bulk_create(
        Speaker(
            campaign=campaign,
            code=f"BD-{index:06d}",
            age_band=rng.choice(AGES),
            gender=rng.choice(GENDERS),
            dialect=rng.choice(DIALECTS),
        )
        for index in range(count)
    )
    return [(s.pk, s.code, s.age_band, s.gender, s.dialect) for s in made]


def _seed_clips(campaign, speakers: list, clips: int) -> None:
    from django.db import connection

    from labelhub.analytics.models import ClipFact
    from labelhub.recordings.models import Recording

    rng = random.Random(2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM recordings_recording")
        first_id = cursor.fetchone()[0]
    for start in range(0, clips, BATCH):
        ids = range(first_id + start, first_id + min(clips, start + BATCH))
        picked = [rng.choice(speakers) for _ in ids]
        _copy(Recording, [_recording(campaign, pk, spk) for pk, spk in zip(ids, picked)])
        _copy(ClipFact, [_fact(campaign, pk, spk, rng) for pk, spk in zip(ids, picked)])
        print(f"seeded {start + len(ids)}/{clips} clips", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('recordings_recording', 'id'), "
            "(SELECT max(id) FROM recordings_recording))"
        )
        cursor.execute("ANALYZE recordings_recording; ANALYZE analytics_clipfact")


def _recording(campaign, pk: int, speaker: tuple) -> dict:
    return {
        "id": pk,
        "uid": uuid.uuid4(),
        "campaign_id": campaign.pk,
        "speaker_id": speaker[0],
        "raw_file": f"raw/bench/{pk}.wav",
        "raw_sha256": f"{pk:064x}",
        "raw_size_bytes": 96_000,
        "original_filename": f"{pk}.wav",
        "original_suffix": ".wav",
        "status": "ready",
        "duration_seconds": 3.0,
    }


def _fact(campaign, pk: int, speaker: tuple, rng: random.Random) -> dict:
    approved = rng.random() < 0.8
    chars = rng.randint(5, 40)
    char_edits = min(chars, int(rng.expovariate(1 / (0.08 * chars + 0.5)))) if approved else 0
    words = max(1, chars // 3)
    word_edits = min(words, char_edits) if approved else 0
    return {
        "recording_id": pk,
        "campaign_id": campaign.pk,
        "speaker_id": speaker[0],
        "speaker_code": speaker[1],
        "age_band": speaker[2],
        "gender": speaker[3],
        "dialect": speaker[4],
        "speech_style": "read",
        "environment": rng.choice(ENVIRONMENTS),
        "seconds": rng.uniform(1.5, 8.0),
        "collected": True,
        "approved": approved,
        "approved_at": f"2026-11-{rng.randint(1, 28):02d} 12:00:00+00" if approved else None,
        "draft_model": rng.choice(MODELS),
        "has_draft": True,
        "measured": approved,
        "word_edits": word_edits,
        "words": words if approved else 0,
        "char_edits": char_edits,
        "chars": chars if approved else 0,
        "clip_wer": word_edits / words if approved else None,
        "clip_cer": char_edits / chars if approved else None,
        "edited": approved and char_edits > 0,
        "draft_text": "볼륨 올려 줘",
        "final_text": "볼륨 올려 줘",
        "labeled": approved,
        "labeler_name": f"labeler-{rng.randint(1, 40)}",
        "work_seconds": rng.uniform(5, 60) if approved else 0.0,
        "review_decisions": 1 if approved else 0,
        "returned": 1 if rng.random() < 0.05 else 0,
    }


def _copy(model, rows: list[dict]) -> None:
    """COPY rows into the model's table; columns missing from a row take the field default."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields]
    columns = [f.column for f in fields]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_text(row.get(f.column, _default(f))) for f in fields) + "\n")
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())


def _default(field) -> object:
    from django.utils import timezone

    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now().isoformat()
    if field.get_internal_type() == "JSONField":
        return json.dumps(field.get_default())
    return field.get_default()


def _text(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


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
