from django.contrib import admin

from labelhub.campaigns.models import Campaign, Prompt


class PromptInline(admin.TabularInline):
    model = Prompt
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "language", "status", "created_at"]
    list_filter = ["status", "language", "client"]
    search_fields = ["name"]
    inlines = [PromptInline]
