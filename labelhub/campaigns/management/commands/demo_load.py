"""Loads the demo from fixtures/demo: organisations, a user per role, a campaign with consent
text and prompts, speakers, and clips of speech made by espeak-ng, queued for ingest and ASR."""

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
from labelhub.campaigns.models import Campaign
from labelhub.campaigns.services import campaign_create, prompts_add
from labelhub.recordings.services import recording_upload
from labelhub.speakers.models import ConsentRecord
from labelhub.speakers.services import consent_document_create, speaker_create_with_consent

DEMO_DIR = settings.BASE_DIR / "fixtures" / "demo"


class Command(BaseCommand):
    help = "Load the demo campaign, users and generated speech clips (skipped if already loaded)."

    def handle(self, *args: object, **options: object) -> None:
        spec = json.loads((DEMO_DIR / "demo.json").read_text())
        if Campaign.objects.filter(name=spec["campaign"]["name"]).exists():
            self.stdout.write("demo data already loaded")
            self._print_logins(spec)
            return
        if shutil.which("espeak-ng") is None:
            raise CommandError("espeak-ng makes the demo clips: apt-get install espeak-ng")
        with transaction.atomic():
            users = self._organisations_and_users(spec)
            campaign, speakers, prompts = self._campaign(spec, pm=users["pm"])
        clips = self._clips(spec, speakers, prompts, pm=users["pm"])
        self.stdout.write(
            f"demo loaded: campaign '{campaign.name}', {len(users)} users, "
            f"{len(speakers)} speakers, {clips} clips queued for ingest and Whisper"
        )
        self._print_logins(spec)

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
        )
        document = consent_document_create(
            campaign=campaign,
            title=plan["consent_title"],
            text=(DEMO_DIR / plan["consent_file"]).read_text(),
        )
        texts = (DEMO_DIR / plan["prompts_file"]).read_text().splitlines()
        prompts = prompts_add(campaign=campaign, texts=texts, category=plan["prompt_category"])
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
