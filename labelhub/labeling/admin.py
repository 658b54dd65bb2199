from django.contrib import admin

from labelhub.labeling.models import Task, TranscriptRevision


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "recording", "status", "assignee", "lease_expires_at", "priority"]
    list_filter = ["status"]


@admin.register(TranscriptRevision)
class TranscriptRevisionAdmin(admin.ModelAdmin):
    list_display = ["recording", "number", "kind", "author", "created_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in TranscriptRevision._meta.fields]
