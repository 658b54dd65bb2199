from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from labelhub.recordings.models import BulkUpload, Recording
from labelhub.recordings.services import transcribe_enqueue


@admin.action(description=_("Re-transcribe with the configured ASR model"))
def retranscribe(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    ready = queryset.filter(status=Recording.Status.READY)
    for recording in ready:
        transcribe_enqueue(recording=recording)
    count = ready.count()
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d recording queued for a new draft.",
            "%(count)d recordings queued for a new draft.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["uid", "campaign", "speaker", "status", "asr_status", "duration_seconds"]
    list_filter = ["status", "asr_status", "campaign"]
    search_fields = ["uid", "raw_sha256", "speaker__code"]
    readonly_fields = [f.name for f in Recording._meta.fields]
    actions = [retranscribe]


@admin.register(BulkUpload)
class BulkUploadAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "campaign",
        "uploaded_by",
        "status",
        "progress",
        "row_count",
        "created_at",
    ]
    list_filter = ["status", "campaign"]
    readonly_fields = [f.name for f in BulkUpload._meta.fields]
