from django.contrib import admin

from .models import ColourLevel, ProspectPolicy, RepTarget


@admin.register(ProspectPolicy)
class ProspectPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "rep_target", "untouched_days", "claim_cap", "claim_window_days")

    def has_add_permission(self, request):
        return not ProspectPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RepTarget)
class RepTargetAdmin(admin.ModelAdmin):
    list_display = ("rep", "target")
    autocomplete_fields = ("rep",)


@admin.register(ColourLevel)
class ColourLevelAdmin(admin.ModelAdmin):
    list_display = ("colour", "number", "name")
    list_filter = ("colour",)
