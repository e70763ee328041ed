from django.contrib import admin

from .models import Contact, Customer, CustomerNeed, Industry


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class NeedInline(admin.TabularInline):
    model = CustomerNeed
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "owner", "region", "industry", "lifecycle", "colour", "abc_grade", "is_key_account"]
    list_filter = ["lifecycle", "colour", "abc_grade", "is_key_account", "region", "industry"]
    search_fields = ["code", "name", "pinyin", "initials", "contacts__name", "contacts__phone"]
    list_select_related = ["owner", "region", "industry"]
    raw_id_fields = ["owner"]
    inlines = [ContactInline, NeedInline]
    readonly_fields = ["pinyin", "initials", "created_at", "updated_at"]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "sunset"]
