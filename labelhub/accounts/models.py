from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    class Kind(models.TextChoices):
        VENDOR = "vendor", _("Vendor (the labeling company)")
        CLIENT = "client", _("Client")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        PM = "pm", _("Data PM")
        LABELER = "labeler", _("Labeler")
        REVIEWER = "reviewer", _("Reviewer")
        CLIENT = "client", _("Client")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )

    @property
    def is_pm(self) -> bool:
        return self.role == self.Role.PM

    @property
    def is_client(self) -> bool:
        return self.role == self.Role.CLIENT

    # The role facts. labelhub.accounts.permissions turns them into the API's permission
    # classes and the pages' decorators; nothing else compares roles.
    @property
    def is_reviewer(self) -> bool:
        return self.role == self.Role.REVIEWER

    @property
    def can_review(self) -> bool:
        return self.role in {self.Role.REVIEWER, self.Role.PM}

    @property
    def is_labeling_staff(self) -> bool:
        return self.role in {self.Role.LABELER, self.Role.REVIEWER, self.Role.PM}

    @property
    def is_portal_user(self) -> bool:
        return self.role in {self.Role.PM, self.Role.CLIENT}
