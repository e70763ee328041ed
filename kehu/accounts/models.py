from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import TimeStampedModel


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    SUPERVISOR = "supervisor", _("Supervisor")
    CREDIT = "credit", _("Credit controller")
    KEY_ACCOUNT = "key_account", _("Key-account manager")
    SENIOR = "senior", _("Senior manager")
    ADMIN = "admin", _("Administrator")


# Roles that see every customer (DESIGN.md: senior managers, credit and admin see all).
ROLES_SEEING_ALL = {Role.SENIOR, Role.CREDIT, Role.ADMIN}


class Region(TimeStampedModel):
    """A sales region (大区), optionally subdivided; teams and customers belong to one.

    Provinces, cities and districts of customers' addresses are kept on the customer as parsed
    from the address; a region lists the provinces it covers so new customers can be placed.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent region"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    provinces = models.CharField(
        _("provinces covered"), max_length=400, blank=True,
        help_text=_("Comma-separated province names, e.g. 上海市,江苏省,浙江省"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def province_list(self) -> list[str]:
        return [p.strip() for p in self.provinces.replace("，", ",").split(",") if p.strip()]


class Team(TimeStampedModel):
    name = models.CharField(_("name"), max_length=60, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="teams")
    supervisor = models.ForeignKey(
        "accounts.User", verbose_name=_("supervisor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="supervised_teams",
    )
    prospect_target = models.PositiveIntegerField(
        _("prospect pool target"), default=30,
        help_text=_("P2: the least number of potential enterprise customers the team keeps."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    approval_limit = models.DecimalField(
        _("approval authority (CNY)"), max_digits=14, decimal_places=2, default=0,
        help_text=_("The largest credit amount this person may approve."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def sees_all(self) -> bool:
        return self.is_superuser or self.role in ROLES_SEEING_ALL


class Notification(models.Model):
    """A message in a person's Kehu inbox (held orders, approvals waiting, decisions)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(_("message"), max_length=500)  # as worded when it was sent
    # its source words and values (kehu.core.messages), worded again in the reader's language
    words = models.JSONField(_("source words"), null=True, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    @property
    def shown(self) -> str:
        """The message in the active language (as sent, for one without its source words)."""
        from kehu.core.messages import render_json

        if self.words:
            try:
                return render_json(self.words)[:500]
            except ValueError:
                pass
        return self.text
