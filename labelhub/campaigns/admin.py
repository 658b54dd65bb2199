"""Admin for power edits. Status moves and legal sign-off go through the services (actions and
read-only fields), so the admin cannot skip the checks the pages and API enforce."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.models import User
from labelhub.accounts.permissions import signed_in_user
from labelhub.campaigns.models import (
    Campaign,
    CollectionChannel,
    LegalReview,
    Prompt,
    QuotaCell,
    RecordingEnvironment,
)
from labelhub.campaigns.services import LABELING_ROLES, campaign_transition
from labelhub.errors import DomainError

if TYPE_CHECKING:  # django-stubs' helper type; not installed at run time
    from django_stubs_ext import StrOrPromise


class QuotaCellInline(admin.TabularInline):
    model = QuotaCell
    extra = 0


class RecordingEnvironmentInline(admin.TabularInline):
    model = RecordingEnvironment
    extra = 0


class CollectionChannelInline(admin.TabularInline):
    model = CollectionChannel
    extra = 0


class LegalReviewInline(admin.StackedInline):
    """Shown, not edited: the checklist is answered and signed on the campaign page."""

    model = LegalReview
    can_delete = False
    max_num = 1
    readonly_fields = [
        "consent_text_reviewed",
        "retention_period_set",
        "purpose_stated",
        "third_party_delivery_stated",
        "minors_policy",
        "notes",
        "signed_off_by",
        "signed_off_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _transition_action(to: str, description: "StrOrPromise") -> Callable:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        for campaign in queryset:
            try:
                campaign_transition(campaign=campaign, to=to, by=signed_in_user(request))
            except DomainError as error:
                modeladmin.message_user(request, f"{campaign}: {error.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{campaign}: {Campaign.Status(to).label}")

    action.__name__ = f"move_to_{to}"
    return admin.action(description=description)(action)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "language", "status", "target_hours", "deadline"]
    list_filter = ["status", "language", "client", "convention"]
    search_fields = ["name", "description"]
    readonly_fields = ["status", "created_by", "created_at"]
    raw_id_fields = ["parent"]
    filter_horizontal = ["labelers"]
    inlines = [
        LegalReviewInline,
        QuotaCellInline,
        RecordingEnvironmentInline,
        CollectionChannelInline,
    ]
    actions = [
        _transition_action(Campaign.Status.LEGAL_REVIEW, _("Send to legal review")),
        _transition_action(Campaign.Status.ACTIVE, _("Activate: start collecting")),
        _transition_action(Campaign.Status.CLOSED, _("Close the campaign")),
    ]

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        # Only labelers and reviewers can be listed (the API refuses anyone else too).
        if db_field.name == "labelers":
            kwargs["queryset"] = User.objects.filter(role__in=LABELING_ROLES).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Campaign, form: object, change: bool) -> None:
        if not change:
            obj.created_by = signed_in_user(request)
        super().save_model(request, obj, form, change)


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    # Prompts are many (up to 20,000 a file): their own list, not an inline on the campaign.
    list_display = ["text", "external_id", "campaign", "category", "speech_style"]
    list_display += ["recordings_needed"]
    list_filter = ["campaign", "speech_style", "category"]
    search_fields = ["text", "external_id"]
    list_select_related = ["campaign"]
