from django.contrib import admin

from .models import CompanyHoliday, OpeningHours, RepBase


@admin.register(CompanyHoliday)
class CompanyHolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    date_hierarchy = "date"


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ("customer", "windows")
    raw_id_fields = ("customer",)
    search_fields = ("customer__name", "customer__code")


@admin.register(RepBase)
class RepBaseAdmin(admin.ModelAdmin):
    list_display = ("user", "label", "lat", "lng")
    raw_id_fields = ("user",)
