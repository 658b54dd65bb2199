from django.contrib import admin

from labelhub.releases.models import DownloadEvent, Release, ReleaseChange


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["campaign", "version", "client", "status", "item_count", "published_at"]
    list_filter = ["status", "client"]
    readonly_fields = [f.name for f in Release._meta.fields]


@admin.register(ReleaseChange)
class ReleaseChangeAdmin(admin.ModelAdmin):
    list_display = ["release", "recording", "kind", "reason"]
    list_filter = ["kind", "reason"]
    readonly_fields = [f.name for f in ReleaseChange._meta.fields]


@admin.register(DownloadEvent)
class DownloadEventAdmin(admin.ModelAdmin):
    list_display = ["release", "user", "fetched_by", "at", "ip_sha256"]
    readonly_fields = [f.name for f in DownloadEvent._meta.fields]
