from django.contrib import admin

from labelhub.speakers.models import ConsentDocument, ConsentRecord, Speaker


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "version", "language", "created_at"]
    readonly_fields = ["text_sha256"]


class ConsentRecordInline(admin.TabularInline):
    model = ConsentRecord
    extra = 0
    readonly_fields = ["document", "method", "signed_at", "evidence_sha256", "recorded_by"]


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["code", "campaign", "age_band", "gender", "region", "dialect"]
    list_filter = ["campaign", "age_band", "gender", "dialect"]
    search_fields = ["code"]
    inlines = [ConsentRecordInline]
