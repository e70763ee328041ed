from django.contrib import admin

from .models import Order, OrderLine, Payment, PaymentAllocation, Product, Receivable


class LineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "grade", "pack_size", "pack_unit", "list_price", "active"]
    list_filter = ["category", "active"]
    search_fields = ["code", "name", "grade"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "handler", "order_date", "status", "total"]
    list_filter = ["status", "payment_method"]
    search_fields = ["number", "customer__name", "customer__code"]
    raw_id_fields = ["customer", "handler"]
    inlines = [LineInline]
    date_hierarchy = "order_date"


@admin.register(Receivable)
class ReceivableAdmin(admin.ModelAdmin):
    list_display = ["order", "customer", "amount", "paid", "written_off", "due_on", "settled_on"]
    raw_id_fields = ["order", "customer"]


class AllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    raw_id_fields = ["receivable"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["customer", "received_on", "amount", "unallocated", "channel", "reference"]
    raw_id_fields = ["customer"]
    inlines = [AllocationInline]
