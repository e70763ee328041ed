from django.contrib import admin

from .models import Order, OrderLine, Payment, PaymentAllocation, Product, Receivable


class LineInline(admin.TabularInline):
    """Lines, totals, statuses and money change only through Kehu's services (the credit check and
    the audit trail depend on it); the back office shows them."""

    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["product", "quantity", "unit_price", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


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
    inlines = [LineInline]
    date_hierarchy = "order_date"
    readonly_fields = ["number", "customer", "handler", "order_date", "status", "payment_method", "payment_terms_days",
                       "total", "confirmed_at", "delivered_on", "invoiced_on", "cancelled_at", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Receivable)
class ReceivableAdmin(admin.ModelAdmin):
    list_display = ["order", "customer", "amount", "paid", "written_off", "due_on", "settled_on"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AllocationInline(admin.TabularInline):
    model = PaymentAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["receivable", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["customer", "received_on", "amount", "unallocated", "channel", "reference"]
    readonly_fields = ["customer", "received_on", "amount", "unallocated", "channel", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
    inlines = [AllocationInline]
