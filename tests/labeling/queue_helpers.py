"""Builders for the queue view's tests: tasks of one campaign in a chosen state."""

from datetime import timedelta

from django.utils import timezone

from labelhub.campaigns.models import Campaign
from labelhub.labeling.models import Task
from tests.factories import CampaignFactory, RecordingFactory, SpeakerFactory, TaskFactory


def queue_campaign(**fields) -> Campaign:
    return CampaignFactory(**fields)


def task_in(campaign: Campaign, **fields) -> Task:
    speaker = SpeakerFactory(campaign=campaign)
    return TaskFactory(recording=RecordingFactory(speaker=speaker), **fields)


def in_minutes(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)
