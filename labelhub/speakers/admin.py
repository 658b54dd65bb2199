from django.contrib import admin
from django.http import HttpRequest

from labelhub.speakers.models import (
    ConsentAuditEvent,
    ConsentDocument,
    ConsentRecord,
    Speaker,
    SpeakerInvite,
)


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "version", "language", "created_at"]
    readonly_fields = ["text_sha256"]

    def has_change_permission(
        self, request: HttpRequest, obj: ConsentDocument | None = None
    ) -> bool:
        # A signed text is evidence: view only (ConsentDocument.save refuses it anyway).
        if obj is not None and obj.records.exists():
            return False
        return super().has_change_permission(request, obj)


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    readonly_fields = [
        "document",
        "method",
        "signer",
        "signed_at",
        "evidence_sha256",
        "recorded_by",
        "withdrawn_at",
        "withdrawal_method",
        "withdrawn_by",
    ]


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["code", "campaign", "age_band", "gender", "region", "dialect", "withdrawn_at"]
    list_filter = ["campaign", "age_band", "gender", "dialect"]
    search_fields = ["code"]
    readonly_fields = ["withdrawn_at"]
    inlines = [ConsentRecordInline]


@admin.register(SpeakerInvite)
class SpeakerInviteAdmin(admin.ModelAdmin):
    list_display = ["pk", "campaign", "speaker_code", "channel", "expires_at", "used_at"]
    list_filter = ["campaign"]
    readonly_fields = ["used_at", "speaker", "created_by"]


@admin.register(ConsentAuditEvent)
class ConsentAuditEventAdmin(admin.ModelAdmin):
    """The audit trail is written by the services only; here it can be read, never changed."""

    list_display = ["at", "speaker", "action", "method", "actor", "counts"]
    list_filter = ["action"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
