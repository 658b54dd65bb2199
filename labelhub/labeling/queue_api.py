"""The PM's queue over the API: a campaign's counts and holders, release and reassign a task.

The same selectors and services as the queue page; errors take the shape of labelhub.api_errors.
"""

from dataclasses import asdict

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from labelhub.accounts.models import User
from labelhub.accounts.permissions import IsPM, signed_in_user
from labelhub.campaigns.selectors import campaign_get
from labelhub.labeling.models import Task
from labelhub.labeling.queue_selectors import LEASES, PRIMARY, queue_counts, queue_holdings
from labelhub.labeling.queue_services import task_lease_release, task_reassign


class HoldingSerializer(serializers.Serializer):
    """One queue_selectors.Holding: a person's lease on a task."""

    task_id = serializers.IntegerField()
    recording_id = serializers.IntegerField()
    lease = serializers.ChoiceField(choices=LEASES)
    kind = serializers.CharField(help_text="label, review or double: what the holder does.")
    username = serializers.CharField()
    user_id = serializers.IntegerField()
    since = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField()
    held_minutes = serializers.IntegerField(allow_null=True)


class QueueCountsSerializer(serializers.Serializer):
    """queue_selectors.queue_counts(): tasks per state (open to skipped add up to total)."""

    total = serializers.IntegerField()
    open = serializers.IntegerField()
    returned = serializers.IntegerField()
    held = serializers.IntegerField()
    submitted = serializers.IntegerField()
    in_review = serializers.IntegerField()
    approved = serializers.IntegerField()
    skipped = serializers.IntegerField()
    double_waiting = serializers.IntegerField()
    double_held = serializers.IntegerField()
    double_done = serializers.IntegerField()
    expired_leases = serializers.IntegerField()
    expired_double_leases = serializers.IntegerField()
    oldest_open_at = serializers.DateTimeField(allow_null=True)
    oldest_open_seconds = serializers.FloatField(allow_null=True)


@extend_schema(
    responses=inline_serializer(
        "CampaignQueue",
        {
            "campaign": serializers.IntegerField(),
            # Tasks per state (they add up to total), lapsed leases, the oldest waiting task.
            "counts": QueueCountsSerializer(),
            "holdings": HoldingSerializer(many=True),
        },
    )
)
class CampaignQueueApi(APIView):
    permission_classes = [IsPM]

    def get(self, request: Request, campaign_id: int) -> Response:
        campaign = campaign_get(user=signed_in_user(request), campaign_id=campaign_id)
        if campaign is None:
            raise Http404
        counts = queue_counts(campaign=campaign)
        holdings = [asdict(holding) for holding in queue_holdings(campaign=campaign)]
        return Response({"campaign": campaign.pk, "counts": counts, "holdings": holdings})


class ReleaseSerializer(serializers.Serializer):
    lease = serializers.ChoiceField(choices=LEASES, default=PRIMARY)


class ReassignSerializer(ReleaseSerializer):
    labeler = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())


def _task_state(task: Task) -> dict:
    return {
        "id": task.pk,
        "status": task.status,
        "assignee": task.assignee.username if task.assignee else None,
        "lease_expires_at": task.lease_expires_at,
        "double_assignee": task.double_assignee.username if task.double_assignee else None,
        "double_lease_expires_at": task.double_lease_expires_at,
    }


class TaskStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Task.Status.choices)
    assignee = serializers.CharField(allow_null=True)
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    double_assignee = serializers.CharField(allow_null=True)
    double_lease_expires_at = serializers.DateTimeField(allow_null=True)


class TaskReleasedSerializer(TaskStateSerializer):
    released = serializers.CharField(help_text="The username whose lease was released.")


@extend_schema(request=ReleaseSerializer, responses=TaskReleasedSerializer)
class TaskReleaseApi(APIView):
    permission_classes = [IsPM]

    def post(self, request: Request, task_id: int) -> Response:
        get_object_or_404(Task, pk=task_id)
        incoming = ReleaseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        holder = task_lease_release(
            task_id=task_id, pm=signed_in_user(request), **incoming.validated_data
        )
        task = Task.objects.select_related("assignee", "double_assignee").get(pk=task_id)
        return Response({**_task_state(task), "released": holder.username})


@extend_schema(request=ReassignSerializer, responses=TaskStateSerializer)
class TaskReassignApi(APIView):
    permission_classes = [IsPM]

    def post(self, request: Request, task_id: int) -> Response:
        get_object_or_404(Task, pk=task_id)
        incoming = ReassignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        task_reassign(
            task_id=task_id, pm=signed_in_user(request), to=data["labeler"], lease=data["lease"]
        )
        task = Task.objects.select_related("assignee", "double_assignee").get(pk=task_id)
        return Response(_task_state(task))
