from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from labelhub.accounts.forms import LockoutAdminAuthenticationForm
from labelhub.accounts.models import Organisation, User

# The admin's own login page counts toward, and honours, the same lockout as every sign-in.
admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("LabelHub"), {"fields": ("role", "organisation")}),
    )
    list_display = ["username", "role", "organisation", "is_staff"]
    list_filter = ["role", "organisation", "is_staff"]
