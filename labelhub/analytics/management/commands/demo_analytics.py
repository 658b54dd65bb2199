"""Seeds a believable labeling history on the demo campaign, so the analytics pages have
something to show: a few hundred clips across dialects, ages and rooms, Whisper drafts whose
error grows with dialect, age and noise, approved finals, labeler time, returns, double
transcriptions, and cells still short of target. Idempotent: a second run changes nothing.

The audio is synthetic (a tone under pink-ish noise made by pydub), not speech: the history
exists for the dashboards, and the text of each clip is the prompt it stands for.
"""

import hashlib
import io
import json
import random
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from pydub.generators import Sine, WhiteNoise

from labelhub.accounts.models import User
from labelhub.analytics.services import recollection_draft
from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    Prompt,
    QuotaCell,
    RecordingEnvironment,
)
from labelhub.labeling.models import Task, TranscriptRevision
from labelhub.recordings.models import Recording
from labelhub.speakers.models import ConsentRecord, Speaker

SEED = 7
TOTAL_CLIPS = 260
DAYS = 28
CODE_PREFIX = "DA-"
REGION_OF = {
    "standard": "Seoul",
    "gyeonggi": "Gyeonggi",
    "gangwon": "Gangwon",
    "chungcheong": "Daejeon",
    "jeolla": "Gwangju",
    "gyeongsang": "Busan",
    "jeju": "Jeju",
}
# Extra ASR error (share of words garbled) per dialect, age band and room: the story the
# dashboard should tell is "Gyeongsang and Jeolla speakers in their 60s, in a car".
DIALECT_ERROR = {"gyeongsang": 0.14, "jeolla": 0.18, "jeju": 0.22, "chungcheong": 0.05}
AGE_ERROR = {"60s": 0.10, "70s+": 0.14, "50s": 0.04}
ROOM_ERROR = {"car": 0.10, "office": 0.05, "outdoor": 0.08}
CONFUSIONS = {
    "television": "tell of vision",
    "channel": "chanel",
    "eleven": "seven",
    "volume": "valium",
    "mute": "moot",
    "weather": "whether",
    "episode": "a pistol",
    "movie": "moving",
    "little": "lid",
    "minutes": "minute",
}
DEVICES = ["Galaxy S23 (Chrome)", "iPhone 14 (Safari)", "Windows laptop (Edge)"]
FALLBACK_CELLS = [
    {"dialect": dialect, "age_band": age, "target_clips": clips, "target_minutes": minutes}
    for dialect, age, clips, minutes in (
        ("standard", "20s", 30, 1.0),
        ("standard", "60s", 30, 1.0),
        ("gyeongsang", "20s", 30, 1.0),
        ("gyeongsang", "60s", 30, 1.0),
        ("jeolla", "20s", 30, 1.0),
        ("jeolla", "60s", 30, 1.0),
        ("chungcheong", "40s", 20, 0.7),
        ("jeju", "40s", 20, 0.7),
    )
]


class _History:
    """One demo clip's revisions, oldest first, each stamped a while after the one before."""

    def __init__(self, recording: Recording, *, at) -> None:
        self.recording, self.at = recording, at
        self.revisions: list[TranscriptRevision] = []

    def add(
        self,
        kind: str,
        text: str,
        *,
        after: timedelta = timedelta(0),
        source: str = TranscriptRevision.Source.WORKBENCH,
        **fields,
    ) -> None:
        self.at += after
        self.revisions.append(
            TranscriptRevision(
                recording=self.recording,
                kind=kind,
                source=source,
                text=text,
                language="en",
                created_at=self.at,
                **fields,
            )
        )


class Command(BaseCommand):
    help = "Seed a labeling history on the demo campaign for the analytics dashboard."

    def handle(self, *args: object, **options: object) -> None:
        spec = json.loads((settings.BASE_DIR / "fixtures" / "demo" / "demo.json").read_text())
        campaign = Campaign.objects.filter(name=spec["campaign"]["name"]).first()
        if campaign is None:
            raise CommandError("the demo campaign is missing: run `manage.py demo_load` first")
        if Speaker.objects.filter(campaign=campaign, code__startswith=CODE_PREFIX).exists():
            self.stdout.write("analytics history already seeded")
            return
        started = timezone.now()
        self.rng = random.Random(SEED)
        with transaction.atomic():
            count = self._seed(campaign, spec)
            pm = User.objects.filter(role=User.Role.PM).order_by("id").first()
            if pm and not campaign.children.exists():
                recollection_draft(campaign=campaign, by=pm, error_threshold=0.15)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"analytics history: {count} clips on '{campaign.name}' in {seconds:.1f} s; "
            f"dashboard at {settings.SITE_URL.rstrip('/')}/analytics/{campaign.pk}/"
        )

    def _seed(self, campaign: Campaign, spec: dict) -> int:
        cells = list(campaign.quota_cells.all()) or [
            QuotaCell.objects.create(campaign=campaign, target_speakers=3, **fields)
            for fields in FALLBACK_CELLS
        ]
        rooms = self._rooms(campaign)
        channel = campaign.channels.first() or CollectionChannel.objects.create(
            campaign=campaign, kind=CollectionChannel.Kind.PUBLIC, name="Crowd app"
        )
        document = campaign.consent_documents.order_by("-version").first()
        if document is None:
            raise CommandError("the demo campaign has no consent document")
        people = self._people(spec)
        prompts: list[Prompt | None] = [*campaign.prompts.order_by("id")] or [None]
        audio = self._audio_variants()
        plan = self._plan(cells)
        recordings, drafts = [], []
        for cell, n_speakers, n_clips in plan:
            speakers = [self._speaker(campaign, cell, channel, document) for _ in range(n_speakers)]
            for index in range(n_clips):
                speaker = speakers[index % n_speakers]
                room = self.rng.choice(rooms)
                prompt = self.rng.choice(prompts)
                seconds, data = self.rng.choice(audio)
                recordings.append(
                    self._recording(campaign, speaker, room, channel, prompt, seconds, data)
                )
                drafts.append((speaker, room, prompt))
        # Interleave the cells in time, as real collection does.
        paired = list(zip(recordings, drafts, strict=True))
        self.rng.shuffle(paired)
        recordings, drafts = [list(part) for part in zip(*paired, strict=True)]
        Recording.objects.bulk_create(recordings)
        self._history(recordings, drafts, people)
        return len(recordings)

    def _rooms(self, campaign: Campaign) -> list[RecordingEnvironment]:
        rooms = list(campaign.environments.all())
        if not any(room.kind == RecordingEnvironment.Kind.CAR for room in rooms):
            rooms.append(
                RecordingEnvironment.objects.create(
                    campaign=campaign,
                    kind=RecordingEnvironment.Kind.CAR,
                    name="Car, engine running",
                    noise_level=RecordingEnvironment.NoiseLevel.NOISY,
                )
            )
        if len(rooms) == 1:
            rooms.append(
                RecordingEnvironment.objects.create(
                    campaign=campaign, kind=RecordingEnvironment.Kind.HOME, name="Living room"
                )
            )
        return rooms

    def _people(self, spec: dict) -> dict[str, list[User]]:
        def user(username: str, role: str) -> User:
            found = User.objects.filter(username=username).first()
            if found:
                return found
            person = User(username=username, role=role)
            person.set_unusable_password()  # history only: these people never sign in
            person.save()
            return person

        labelers = [user(name, "labeler") for name in ("labeler", "labeler-jiwoo", "labeler-minho")]
        return {"labelers": labelers, "reviewers": [user("reviewer", "reviewer")]}

    def _audio_variants(self) -> list[tuple[float, bytes]]:
        # Synthetic audio (tone + noise), 16 kHz mono WAV: stand-ins, not speech.
        variants = []
        for index, seconds in enumerate((1.2, 1.6, 2.0, 2.4, 2.8, 3.0)):
            tone = Sine(180 + 40 * index, sample_rate=16000).to_audio_segment(
                duration=seconds * 1000, volume=-22
            )
            noise = WhiteNoise(sample_rate=16000).to_audio_segment(
                duration=seconds * 1000, volume=-38
            )
            clip = tone.overlay(noise).set_channels(1).set_frame_rate(16000).set_sample_width(2)
            out = io.BytesIO()
            clip.export(out, format="wav")
            variants.append((seconds, out.getvalue()))
        return variants

    def _plan(self, cells: list[QuotaCell]) -> list[tuple[QuotaCell, int, int]]:
        """Clips per cell: a share of its target, so some cells fill and some stay short."""
        total_target = sum(cell.target_clips or 20 for cell in cells)
        scale = min(1.0, TOTAL_CLIPS / max(total_target, 1))
        plan = []
        for cell in cells:
            fill = self.rng.choice((0.4, 0.6, 0.9, 1.25, 1.35))
            clips = max(4, round((cell.target_clips or 20) * scale * fill))
            speakers = max(2, min(clips // 4, max(cell.target_speakers, 2)))
            plan.append((cell, speakers, clips))
        return plan

    def _speaker(self, campaign, cell, channel, document) -> Speaker:
        dialect = cell.dialect or self.rng.choice(list(REGION_OF)[:6] + ["standard"] * 3)
        speaker = Speaker.objects.create(
            campaign=campaign,
            code=f"{CODE_PREFIX}{Speaker.objects.filter(campaign=campaign).count() + 1:04d}",
            age_band=cell.age_band or self.rng.choice(["20s", "30s", "40s", "50s", "60s"]),
            gender=cell.gender or self.rng.choice(["female", "male"]),
            dialect=dialect,
            region=cell.region or REGION_OF.get(dialect, "Seoul"),
            native_language="ko",
            channel=channel,
        )
        ConsentRecord.objects.create(
            speaker=speaker,
            document=document,
            method=ConsentRecord.Method.WEB_SIGNATURE,
            signed_at=timezone.now() - timedelta(days=DAYS + 2),
        )
        return speaker

    def _recording(self, campaign, speaker, room, channel, prompt, seconds, data) -> Recording:
        recording = Recording(
            campaign=campaign,
            speaker=speaker,
            prompt=prompt,
            environment=room,
            channel=channel,
            speech_style=prompt.speech_style if prompt else "read",
            device=self.rng.choice(DEVICES),
            raw_sha256="",
            raw_size_bytes=len(data),
            original_filename="take.wav",
            original_suffix=".wav",
            format_name="wav",
            codec="pcm_s16le",
            status=Recording.Status.READY,
            duration_seconds=seconds,
            sample_rate=16000,
            channels=1,
            asr_status=Recording.AsrStatus.DONE,
        )
        recording.raw_sha256 = hashlib.sha256(data).hexdigest()
        recording.raw_file.name = default_storage.save(
            f"raw/{campaign.pk}/{recording.uid}.wav", ContentFile(data)
        )
        recording.normalised_file.name = default_storage.save(
            f"normalised/{campaign.pk}/{recording.uid}.wav", ContentFile(data)
        )
        return recording

    def _history(self, recordings: list[Recording], context: list, people: dict) -> None:
        now = timezone.now()
        chains, tasks = [], []
        for index, (recording, (speaker, room, prompt)) in enumerate(
            zip(recordings, context, strict=True)
        ):
            # More clips arrive later in the month, as collection ramps up; three days of slack
            # keep every review step (up to ~65 hours after upload) in the past.
            day = DAYS * (index / len(recordings)) ** 0.7
            recording.created_at = now - timedelta(
                days=DAYS + 3 - day, hours=self.rng.uniform(0, 8)
            )
            recording.ingested_at = recording.created_at + timedelta(minutes=2)
            chain, task = self._chain(recording, speaker, room, prompt, people)
            chains.append(chain)
            tasks.append(task)
        Recording.objects.bulk_update(recordings, ["created_at", "ingested_at"])
        Task.objects.bulk_create(tasks)
        previous: dict[int, TranscriptRevision] = {}
        # Not labeling.services.revision_append, the live writer, on purpose: this is a seeded
        # fixture of a few hundred whole histories, numbered by _numbered and back-dated over a
        # month, written in one transaction that no labeler shares. revision_append's
        # next-number query guards concurrent edits there are none of here, it writes one row at
        # a time, and its create stamps created_at with now, which this history rewrites
        # anyway. Level by level, so each revision can point at its saved parent.
        for level in range(max(len(chain) for chain in chains)):
            batch = []
            for position, chain in enumerate(chains):
                if level < len(chain):
                    revision = chain[level]
                    revision.parent = previous.get(position)
                    previous[position] = revision
                    batch.append(revision)
            # bulk_create stamps auto_now_add fields with now: put the history's times back.
            times = [revision.created_at for revision in batch]
            TranscriptRevision.objects.bulk_create(batch)
            for revision, at in zip(batch, times, strict=True):
                revision.created_at = at
            TranscriptRevision.objects.bulk_update(batch, ["created_at"])

    def _chain(self, recording, speaker, room, prompt, people) -> tuple[list, Task]:
        rng = self.rng
        final = prompt.text if prompt else "turn on the television"
        model = "tiny" if rng.random() < 0.15 else "small"
        rate = self._draft_error_rate(speaker, room, model)
        history = _History(recording, at=recording.created_at + timedelta(minutes=5))
        history.add(
            TranscriptRevision.Kind.ASR_DRAFT,
            self._garble(final, rate),
            source=TranscriptRevision.Source.ASR,
            engine="faster-whisper",
            model_name=model,
        )
        labeler = rng.choice(people["labelers"])
        speed = {"labeler-minho": 1.4, "labeler-jiwoo": 0.8}.get(labeler.username, 1.0)
        task = Task(recording=recording, status=self._task_status(), labeler=None)
        if task.status == Task.Status.OPEN:
            return self._numbered(history.revisions), task
        task.labeler = labeler
        reviewer = people["reviewers"][0]
        decision = TranscriptRevision.Decision
        returned = rng.random() < 0.12 * speed
        first = self._garble(final, 0.3) if returned else final.capitalize() + "."
        self._edit(history, first, labeler, rate=rate, speed=speed)
        task.needs_review = rng.random() < 0.6 or returned
        if task.status == Task.Status.APPROVED:
            if returned:
                comment = "Listen again: a word is wrong."
                self._review(history, reviewer, decision.RETURNED, first, comment)
                task.times_returned = 1
                self._edit(history, final.capitalize() + ".", labeler, rate=rate, speed=speed)
            if task.needs_review:
                edited = rng.random() < 0.08
                verdict = decision.EDITED if edited else decision.APPROVED
                self._review(history, reviewer, verdict, final + ".")
            if rng.random() < 0.1:
                self._double(history, final, [p for p in people["labelers"] if p != labeler])
        return self._numbered(history.revisions), task

    def _edit(self, history: _History, text: str, labeler, *, rate: float, speed: float) -> None:
        """A labeler's edit, slower on a worse draft and for a slower labeler."""
        after = timedelta(hours=self.rng.uniform(1, 20))
        duration = history.recording.duration_seconds or 0.0  # the demo's clips all have one
        work = duration * self.rng.uniform(2.5, 4.5) * (1 + 3 * rate) * speed
        history.add(
            TranscriptRevision.Kind.LABELER_EDIT,
            text,
            after=after,
            author=labeler,
            work_seconds=round(work, 1),
        )

    def _review(self, history: _History, reviewer, decision: str, text: str, comment="") -> None:
        after = timedelta(hours=self.rng.uniform(1, 12))
        history.add(
            TranscriptRevision.Kind.REVIEW,
            text,
            after=after,
            decision=decision,
            comment=comment,
            author=reviewer,
            work_seconds=round(
                (history.recording.duration_seconds or 0.0) * self.rng.uniform(1, 2), 1
            ),
        )

    def _draft_error_rate(self, speaker, room, model: str) -> float:
        """How often the demo's Whisper draft gets a word wrong for this speaker, room and model."""
        return (
            0.03
            + DIALECT_ERROR.get(speaker.dialect, 0.0)
            + AGE_ERROR.get(speaker.age_band, 0.0)
            + ROOM_ERROR.get(room.kind, 0.0)
            + (0.08 if model == "tiny" else 0.0)
            + self.rng.uniform(-0.02, 0.04)
        )

    def _task_status(self) -> str:
        roll = self.rng.random()
        if roll < 0.82:
            return Task.Status.APPROVED
        return Task.Status.SUBMITTED if roll < 0.92 else Task.Status.OPEN

    def _double(self, history: _History, final: str, others: list) -> None:
        """A second labeler's independent transcript, an hour after the last revision."""
        other = self.rng.choice(others)
        history.add(
            TranscriptRevision.Kind.DOUBLE,
            self._garble(final, 0.05),
            after=timedelta(hours=1),
            author=other,
            work_seconds=round((history.recording.duration_seconds or 0.0) * 3, 1),
        )

    @staticmethod
    def _numbered(chain: list[TranscriptRevision]) -> list[TranscriptRevision]:
        for number, revision in enumerate(chain, start=1):
            revision.number = number
        return chain

    def _garble(self, text: str, rate: float) -> str:
        """Whisper-like mistakes at about `rate` per word: confusions, drops, insertions."""
        out = []
        for word in text.split():
            if self.rng.random() >= rate:
                out.append(word)
                continue
            action = self.rng.random()
            if action < 0.55:
                out.append(CONFUSIONS.get(word, word[:-1] or word + "s"))
            elif action < 0.8:
                continue
            else:
                out.extend([word, self.rng.choice(["the", "uh", "to", "a"])])
        return " ".join(out)
