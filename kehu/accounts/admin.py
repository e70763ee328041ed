from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Region, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    search_fields = ["username", "display_name", "phone"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Kehu"), {"fields": ["display_name", "role", "team", "phone", "approval_limit"]}))  # type: ignore[misc]  # Django's UserAdmin declares them
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Kehu"), {"fields": ["display_name", "role", "team"]}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "supervisor", "prospect_target"]
    list_select_related = ["region", "supervisor"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "provinces"]
