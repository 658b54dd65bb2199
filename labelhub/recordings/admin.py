from django.contrib import admin

from labelhub.recordings.models import Recording


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["uid", "campaign", "speaker", "status", "asr_status", "duration_seconds"]
    list_filter = ["status", "asr_status", "campaign"]
    search_fields = ["uid", "raw_sha256", "speaker__code"]
    readonly_fields = [f.name for f in Recording._meta.fields]
