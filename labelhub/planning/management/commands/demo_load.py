"""Loads the demo from fixtures/demo: organisations, a user per role, a campaign with consent
text and prompts, speakers, and clips of speech made by espeak-ng, queued for ingest and ASR."""

import csv
import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from labelhub.accounts.models import Organisation, User
from labelhub.accounts.services import organisation_get_or_create, user_create
from labelhub.campaigns.demographics import KOREAN_DIALECTS, KOREAN_REGIONS
from labelhub.campaigns.models import Campaign, Prompt
from labelhub.campaigns.prompt_import import prompts_import
from labelhub.campaigns.quota_cells import CELL_DIMENSIONS, quota_cells_create
from labelhub.campaigns.services import (
    campaign_create,
    campaign_transition,
    campaign_update,
    channel_create,
    environment_create,
    legal_review_sign_off,
    legal_review_update,
)
from labelhub.planning.demo_longform import longform_demo_load
from labelhub.recordings.services import recording_upload
from labelhub.speakers.invites import invite_path
from labelhub.speakers.models import ConsentRecord
from labelhub.speakers.services import (
    consent_document_create,
    consent_document_translate,
    invites_create,
    speaker_create_with_consent,
)

DEMO_DIR = settings.BASE_DIR / "fixtures" / "demo"

# The demo's speakers are Korean natives reading English commands, so the campaign plans for
# Korean dialects and regions rather than the English defaults.
DEMO_PLAN = {
    "locale": "en-US",
    "target_hours": 1,
    "min_seconds": 1.0,
    "max_seconds": 10.0,
    "target_seconds": 3.0,
    "dialect_choices": [code for code, _label in KOREAN_DIALECTS],
    "region_choices": [code for code, _label in KOREAN_REGIONS],
    "review_share": 0.5,
    "double_transcription_share": 0.1,
}
PROMPT_CATEGORIES = [
    ("volume", "volume"),
    ("mute", "volume"),
    ("sound", "volume"),
    ("channel", "channels"),
    ("episode", "playback"),
    ("app", "apps"),
    ("weather", "information"),
    ("television", "power"),
]
# Sized to the demo's synthetic history (demo_analytics, ~215 clips of 1-3 s) so the coverage
# dashboard shows a mix of filled cells and gaps rather than every cell far from its target.
DEMO_CELLS = [
    {
        "age_band": age_band,
        "gender": gender,
        "target_clips": 16,
        "target_minutes": 0.5,
        "target_speakers": 3,
        "max_minutes_per_speaker": 0.3,
    }
    for age_band in ("20s", "30s", "40s", "50s", "60s")
    for gender in ("female", "male")
] + [
    {"dialect": "gyeongsang", "target_clips": 24, "target_minutes": 0.8, "target_speakers": 4},
    {"dialect": "jeolla", "target_clips": 24, "target_minutes": 0.8, "target_speakers": 4},
    {"dialect": "jeju", "target_clips": 12, "target_minutes": 0.4, "target_speakers": 2},
]
DEMO_ENVIRONMENTS = [
    {"kind": "home", "name": "Living room, TV off", "noise_level": "moderate"},
    {"kind": "studio", "name": "Studio booth A", "noise_level": "quiet", "microphone": "SM7B"},
    {"kind": "office", "name": "Open-plan office", "noise_level": "noisy"},
]
DEMO_CHANNELS = [
    {"kind": "public", "name": "Crowd app (web recorder)"},
    {"kind": "internal", "name": "Vendor staff"},
    {
        "kind": "licensed_media",
        "name": "Public TV archive",
        "source_url": "https://example.org/tv-archive",
        "licence": "CC BY 4.0",
    },
]
DEMO_LEGAL_REVIEW = {
    "consent_text_reviewed": True,
    "retention_period_set": True,
    "purpose_stated": True,
    "third_party_delivery_stated": True,
    "minors_policy": "Speakers under 14 record only with a guardian's consent record.",
    "notes": "Demo campaign: reviewed against PIPA guidance.",
}


class Command(BaseCommand):
    help = "Load the demo campaign, users and generated speech clips (skipped if already loaded)."

    def handle(self, *args: object, **options: object) -> None:
        spec = json.loads((DEMO_DIR / "demo.json").read_text())
        existing = Campaign.objects.filter(name=spec["campaign"]["name"]).first()
        if existing is not None:
            # A demo loaded by an older version gains the plan it lacks; nothing is doubled.
            self._korean_consent(existing, spec["campaign"])
            self._plan(existing, pm=User.objects.get(username="pm"))
            self._longform(spec)
            self.stdout.write("demo data already loaded")
            self._print_logins(spec)
            self._print_invite(existing)
            return
        if shutil.which("espeak-ng") is None:
            raise CommandError("espeak-ng makes the demo clips: apt-get install espeak-ng")
        with transaction.atomic():
            users = self._organisations_and_users(spec)
            campaign, speakers, prompts = self._campaign(spec, pm=users["pm"])
            self._plan(campaign, pm=users["pm"])
        clips = self._clips(spec, speakers, prompts, pm=users["pm"])
        self._longform(spec)
        self.stdout.write(
            f"demo loaded: campaign '{campaign.name}', {len(users)} users, "
            f"{len(speakers)} speakers, {clips} clips queued for ingest and Whisper"
        )
        self._print_logins(spec)
        self._print_invite(campaign)

    def _longform(self, spec: dict) -> None:
        client = Organisation.objects.get(name=spec["campaign"]["client"])
        campaign = longform_demo_load(
            pm=User.objects.get(username="pm"), client=client, legal_review=DEMO_LEGAL_REVIEW
        )
        if campaign is not None:
            self.stdout.write(
                f"long-form campaign '{campaign.name}': a talk-show MP4 queued for ingest and "
                "segmentation"
            )

    def _print_invite(self, campaign: Campaign) -> None:
        """A fresh speaker invite each run: open it to consent and record in the browser."""
        invite = invites_create(campaign=campaign, created_by=campaign.created_by)[0]
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write(
            f"  recorder (speaker invite, no login): {site}{invite_path(invite=invite)}"
        )
        self.stdout.write("")

    def _print_logins(self, spec: dict) -> None:
        site = settings.SITE_URL.rstrip("/")
        for label, path in (("web app", "/"), ("admin", "/admin/"), ("API", "/api/")):
            self.stdout.write(f"  {label:<8} {site}{path}")
        self.stdout.write(f"  logins (password '{spec['password']}'):")
        for entry in spec["users"]:
            who = f"{entry['username']:<14} {entry['role']:<9}"
            self.stdout.write(f"    {who} {entry['organisation']}")
        self.stdout.write("")

    def _organisations_and_users(self, spec: dict) -> dict[str, User]:
        organisations = {
            spec["vendor"]: organisation_get_or_create(
                name=spec["vendor"], kind=Organisation.Kind.VENDOR
            )
        }
        for name in spec["clients"]:
            organisations[name] = organisation_get_or_create(
                name=name, kind=Organisation.Kind.CLIENT
            )
        users = {}
        for entry in spec["users"]:
            superuser = entry.get("superuser", False)
            users[entry["username"]] = User.objects.filter(username=entry["username"]).first() or (
                user_create(
                    username=entry["username"],
                    password=spec["password"],
                    role=entry["role"],
                    organisation=organisations[entry["organisation"]],
                    is_staff=superuser,
                    is_superuser=superuser,
                )
            )
        return users

    def _campaign(self, spec: dict, *, pm: User) -> tuple:
        plan = spec["campaign"]
        campaign = campaign_create(
            created_by=pm,
            client=Organisation.objects.get(name=plan["client"]),
            name=plan["name"],
            language=plan["language"],
            description=plan["description"],
            # Written like the prompts ("switch to channel eleven"), so delivered text agrees.
            **plan.get("transcript_policy", {}),
        )
        document = consent_document_create(
            campaign=campaign,
            title=plan["consent_title"],
            text=(DEMO_DIR / plan["consent_file"]).read_text(),
        )
        self._korean_consent(campaign, plan)
        prompts = self._prompts(campaign, DEMO_DIR / plan["prompts_file"], plan["prompt_category"])
        speakers = []
        for entry in spec["speakers"]:
            demographics = {k: v for k, v in entry.items() if k not in {"code", "voice"}}
            speaker, _consent = speaker_create_with_consent(
                campaign=campaign,
                document=document,
                method=ConsentRecord.Method.WEB_SIGNATURE,
                demographics=demographics,
                recorded_by=pm,
                code=entry["code"],
            )
            speakers.append((speaker, entry["voice"]))
        return campaign, speakers, prompts

    def _korean_consent(self, campaign: Campaign, plan: dict) -> None:
        """The newest consent version in Korean too: a Korean browser reads and signs that one."""
        latest = campaign.consent_documents.order_by("-version").first()
        if (
            latest is None
            or campaign.consent_documents.filter(version=latest.version, language="ko").exists()
        ):
            return
        consent_document_translate(
            document=latest,
            language="ko",
            title=plan["consent_title_ko"],
            text=(DEMO_DIR / plan["consent_file_ko"]).read_text(),
        )

    def _prompts(self, campaign: Campaign, path: Path, default_category: str) -> list[Prompt]:
        """The script goes through the PM's CSV import, each line with a category."""
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["id", "text", "category", "speech_style", "recordings_needed"])
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            category = next(
                (name for word, name in PROMPT_CATEGORIES if word in text.lower()),
                default_category,
            )
            writer.writerow([f"TV-{number:03d}", text, category, "command", 2])
        upload = SimpleUploadedFile("prompts.csv", rows.getvalue().encode())
        report = prompts_import(campaign=campaign, upload=upload)
        if report.rejected:
            raise CommandError(f"demo prompts rejected: {report.rejected}")
        return list(campaign.prompts.all())

    def _plan(self, campaign: Campaign, *, pm: User) -> None:
        """Planning fields, quota cells, environments, channels, a signed legal review, status
        active: each added only where missing."""
        campaign.refresh_from_db()
        if not campaign.dialect_choices:
            campaign_update(campaign=campaign, **DEMO_PLAN)
        for cell in DEMO_CELLS:
            key = {dimension: cell.get(dimension, "") for dimension in CELL_DIMENSIONS}
            if not campaign.quota_cells.filter(**key).exists():
                quota_cells_create(campaign=campaign, cells=[cell])
        for fields in DEMO_ENVIRONMENTS:
            if not campaign.environments.filter(name=fields["name"]).exists():
                environment_create(campaign=campaign, **fields)
        for fields in DEMO_CHANNELS:
            if not campaign.channels.filter(name=fields["name"]).exists():
                channel_create(campaign=campaign, **fields)
        if campaign.status == Campaign.Status.DRAFT:
            campaign_transition(campaign=campaign, to=Campaign.Status.LEGAL_REVIEW, by=pm)
            campaign.refresh_from_db()
        if campaign.status == Campaign.Status.LEGAL_REVIEW:
            legal_review_update(campaign=campaign, **DEMO_LEGAL_REVIEW)
            legal_review_sign_off(campaign=campaign, by=pm)
            campaign_transition(campaign=campaign, to=Campaign.Status.ACTIVE, by=pm)

    def _clips(self, spec: dict, speakers: list, prompts: list, *, pm: User) -> int:
        count = 0
        with tempfile.TemporaryDirectory() as tmp:
            for index, (speaker, voice) in enumerate(speakers):
                for offset in range(spec["clips_per_speaker"]):
                    prompt = prompts[(index * spec["clips_per_speaker"] + offset) % len(prompts)]
                    path = Path(tmp) / f"{speaker.code}-{offset}.wav"
                    subprocess.run(
                        ["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), prompt.text],
                        check=True,
                    )
                    upload = SimpleUploadedFile(path.name, path.read_bytes())
                    recording_upload(
                        speaker=speaker, uploaded_file=upload, uploaded_by=pm, prompt=prompt
                    )
                    count += 1
        return count
