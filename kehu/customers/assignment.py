"""Who owns a new customer when many arrive at once (an import, later a batch of prospects).

A supervisor or an administrator bringing in a list chooses a rule; a rep's new customers are
always their own. The rules:

- ``me``: the person importing (when they own customers);
- ``rep:<id>``: one rep they may assign to;
- ``balance``: each customer to the rep with the smallest book, counting those just assigned,
  so a list is spread evenly (ties go to the rep whose user name sorts first);
- ``region``: to a rep whose team's region covers the customer's province, the smallest book
  first; where no rep covers the province, as ``balance``.

``balance`` and ``region`` choose among reps (the sales-rep role); when the person importing may
assign to no rep, among everyone they may assign to.
"""

import heapq
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.accounts.models import Region, Role, User

from .models import Customer

ME, BALANCE, REGION = "me", "balance", "region"
RULE_LABELS = {
    ME: gettext_lazy("to me"),
    BALANCE: gettext_lazy("evenly, to the rep with the smallest book"),
    REGION: gettext_lazy("to a rep of the customer's region, the smallest book first"),
}


class RuleError(ValueError):
    """The rule cannot be used by this person; the message is for them."""


@dataclass(order=True)
class _Load:
    count: int
    username: str
    pk: int


def _provinces_covered() -> dict[int, set[str]]:
    """Each region's provinces, its subregions' (at any depth) included."""
    regions = list(Region.objects.all())
    own = {r.pk: set(r.province_list()) for r in regions}
    parent_of = {r.pk: r.parent_id for r in regions}
    covers = {r.pk: set(own[r.pk]) for r in regions}
    for r in regions:
        parent, seen = r.parent_id, {r.pk}
        while parent is not None and parent not in seen and parent in covers:  # up the tree, never round it
            covers[parent] |= own[r.pk]
            seen.add(parent)
            parent = parent_of[parent]
    return covers


class OwnerAssigner:
    """``owner_for(province)`` gives the owner of the next new customer under ``rule``."""

    def __init__(self, *, user: User, rule: str, owners: dict[int, User]) -> None:
        self.user, self.rule, self.owners = user, rule or ME, owners
        self.fixed: int | None = None
        if self.rule == ME:
            if user.pk not in owners:
                raise RuleError(_("You do not own customers yourself: choose a rep, or a rule, for new customers."))
            self.fixed = user.pk
        elif self.rule.startswith("rep:"):
            try:
                pk = int(self.rule.removeprefix("rep:"))
            except ValueError:
                pk = 0
            if pk not in owners:
                raise RuleError(_("You cannot give customers to that person."))
            self.fixed = pk
        elif self.rule not in (BALANCE, REGION):
            raise RuleError(_("Unknown rule for new customers: “%(rule)s”.") % {"rule": self.rule})
        else:
            self._prepare()

    def _prepare(self) -> None:
        pool = {pk: u for pk, u in self.owners.items() if u.role == Role.REP} or dict(self.owners)
        if not pool:
            raise RuleError(_("There is nobody you may give customers to."))
        books = dict(Customer.objects.filter(owner__in=pool).values("owner").annotate(n=Count("pk")).values_list("owner", "n"))
        self.loads = {pk: _Load(books.get(pk, 0), u.username, pk) for pk, u in pool.items()}
        self.everyone = self._heap(self.loads.values())
        self.by_province: dict[str, list[tuple[int, str, int]]] = {}
        if self.rule == REGION:
            covers = _provinces_covered()
            members: dict[str, list[_Load]] = {}
            for pk, u in pool.items():
                team = getattr(u, "team", None)
                for province in covers.get(team.region_id, []) if team else []:
                    members.setdefault(province, []).append(self.loads[pk])
            self.by_province = {p: self._heap(loads) for p, loads in members.items()}

    @staticmethod
    def _heap(loads) -> list[tuple[int, str, int]]:
        heap = [(load.count, load.username, load.pk) for load in loads]
        heapq.heapify(heap)
        return heap

    def _take(self, heap: list[tuple[int, str, int]]) -> int:
        # Entries go stale when the same rep is taken through another heap: refresh until current.
        while True:
            count, username, pk = heap[0]
            load = self.loads[pk]
            if count == load.count:
                load.count += 1
                heapq.heapreplace(heap, (load.count, username, pk))
                return pk
            heapq.heapreplace(heap, (load.count, username, pk))

    def owner_for(self, province: str = "") -> int:
        if self.fixed is not None:
            return self.fixed
        if self.rule == REGION and province in self.by_province:
            return self._take(self.by_province[province])
        return self._take(self.everyone)


def rule_choices(*, user: User, owners: list[User]) -> list[tuple[str, str]]:
    """The rules ``user`` may choose, with the reps they may name, for a form's select."""
    choices: list[tuple[str, str]] = []
    if any(o.pk == user.pk for o in owners):
        choices.append((ME, str(RULE_LABELS[ME])))
    others = [o for o in owners if o.pk != user.pk]
    if others:
        choices += [(BALANCE, str(RULE_LABELS[BALANCE])), (REGION, str(RULE_LABELS[REGION]))]
        choices += [(f"rep:{o.pk}", _("to %(name)s") % {"name": o}) for o in others]
    return choices
