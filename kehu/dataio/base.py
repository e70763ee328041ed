"""What every importer shares: the row errors and the outcome, the base class with its checks of a
cell (text, number, date, choice, person), and the customer a row names (by code, credit code or name,
only among customers the importer sees).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.text import normalize
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_visible

from . import values as v

MAX_ERRORS_KEPT = 1000
MAX_UNKNOWN = 200  # distinct unknown values kept per field for the preview to ask about
PARSED_KEPT = 100_000  # distinct cell values remembered per import


@dataclass
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class Column:
    index: int
    field: str
    header: str
    letter: str

    @property
    def label(self) -> str:
        return f"{self.letter} · {self.header}" if self.header else self.letter


@dataclass
class Outcome:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    problem: str = ""  # a file-level problem (unreadable, a required column missing, not allowed)
    assigned: dict[str, int] = field(default_factory=dict)  # new customers per owner
    drafted: int = 0  # orders the file gives past draft that arrive as drafts (the importer brings no history)
    # Reference values the file names and Kehu does not know: field → {value as written: (rows, first row)}.
    unknown: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error_count and not self.problem

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "rows": self.rows, "created": self.created, "updated": self.updated,
            "skipped": self.skipped, "error_count": self.error_count, "committed": self.committed,
            "problem": self.problem, "errors": [e.__dict__ for e in self.errors],
            "assigned": sorted(self.assigned.items(), key=lambda kv: (-kv[1], kv[0])),
            "drafted": self.drafted,
            "unknown": [{"field": name, "values": [{"value": value, "rows": n, "row": first}
                                                   for value, (n, first) in sorted(values.items())]}
                        for name, values in sorted(self.unknown.items())],
        }


Row = tuple[int, dict[str, Any]]  # (row number, {field: raw cell})



class Importer:
    kind = ""

    def __init__(self, *, user: User, columns: list[Column], commit: bool, outcome: Outcome, assign: str = "",
                 values: dict[str, dict[str, str]] | None = None) -> None:
        self.user = user
        # The user's answers for unknown values: field → {normalized value: what it means} (mapping.VALUE_FIELDS).
        self.values = {name: {normalize(k): str(t) for k, t in answers.items()} for name, answers in (values or {}).items()}
        self.assign = assign  # who owns new customers without an owner column (customers.assignment)
        self.columns = {c.field: c for c in columns if c.field}
        self.commit = commit
        self.outcome = outcome
        self.seen: dict[Any, int] = {}
        self._users: dict[str, User | None] | None = None
        self._parsed: dict[tuple, tuple[bool, Any]] = {}

    # -- helpers ------------------------------------------------------------------------------

    def check_allowed(self) -> None:
        """Raise PermissionDenied when the user's role may not import this kind at all."""

    def error(self, row: int, field_name: str, raw: Any, reason: str) -> None:
        self.outcome.error_count += 1
        if len(self.outcome.errors) < MAX_ERRORS_KEPT:
            column = self.columns.get(field_name)
            self.outcome.errors.append(RowError(row, column.label if column else "", v.text(raw)[:100], reason))

    @property
    def writing(self) -> bool:
        return self.commit and not self.outcome.error_count

    def parse(self, row: int, data: dict[str, Any], field_name: str, parser: Any, **kw: Any) -> Any:
        """``parser(raw)``, or None with the row's error. Each distinct cell value is parsed once:
        prices, quantities, dates and codes repeat across thousands of rows."""
        raw = data.get(field_name)
        if raw is None or (raw.__class__ is str and not raw.strip()):
            return None
        key = (parser, raw.__class__, raw, *kw.items()) if kw else (parser, raw.__class__, raw)
        try:
            ok, value = self._parsed[key]
        except KeyError:
            try:
                ok, value = True, parser(raw, **kw)
            except ValueError as exc:
                ok, value = False, str(exc)
            if len(self._parsed) >= PARSED_KEPT:
                self._parsed.clear()
            self._parsed[key] = (ok, value)
        if ok:
            return value
        self.error(row, field_name, raw, value)
        return None

    def string(self, row: int, data: dict[str, Any], field_name: str, max_length: int) -> str:
        raw = data.get(field_name)
        value = v.text(raw)
        if len(value) > max_length:
            self.error(row, field_name, raw, _("Longer than %(n)d characters.") % {"n": max_length})
            return value[:max_length]
        return value

    def unknown(self, row: int, field_name: str, raw: Any, reason: str) -> None:
        """A reference value Kehu does not know: an error now, and a question for the preview."""
        self.error(row, field_name, raw, reason)
        seen = self.outcome.unknown.setdefault(field_name, {})
        text = v.text(raw)[:100]
        if text in seen:
            seen[text][0] += 1
        elif len(seen) < MAX_UNKNOWN:
            seen[text] = [1, row]

    def answer(self, field_name: str, raw: Any) -> str | None:
        """What the user said an unknown value means (a choice's code, a user's or industry's id, "+")."""
        answers = self.values.get(field_name)
        return answers.get(normalize(v.text(raw))) if answers else None

    def choice(self, row: int, data: dict[str, Any], field_name: str, words: dict[str, str]) -> str | None:
        raw = data.get(field_name)
        if v.is_blank(raw):
            return None
        value = words.get(normalize(v.text(raw)))
        if value is None:
            answer = self.answer(field_name, raw)
            if answer in words.values():
                return answer
            self.unknown(row, field_name, raw, _("“%(value)s” is not one of the known values.") % {"value": v.text(raw)})
        return value

    def person(self, row: int, data: dict[str, Any], field_name: str) -> User | None:
        """A user named by user name or display name."""
        raw = data.get(field_name)
        if v.is_blank(raw):
            return None
        if self._users is None:
            self._users = {}
            for user in User.objects.filter(is_active=True).select_related("team"):
                for key in (user.username, user.display_name, user.get_full_name()):
                    key = normalize(key or "")
                    if key:  # a name two people share is ambiguous: None
                        self._users[key] = None if key in self._users and self._users[key] != user else user
        key = normalize(v.text(raw))
        if key not in self._users:
            answer = self.answer(field_name, raw)
            if answer and answer.isdecimal():
                chosen = next((u for u in self._users.values() if u is not None and u.pk == int(answer)), None)
                if chosen is not None:
                    return chosen
            self.unknown(row, field_name, raw, _("No active user is called “%(value)s”.") % {"value": v.text(raw)})
            return None
        found = self._users[key]
        if found is None:
            self.error(row, field_name, raw, _("More than one user is called “%(value)s”; use the user name.") % {"value": v.text(raw)})
        return found

    def repeated(self, row: int, key: Any, field_name: str, raw: Any) -> bool:
        first = self.seen.get(key)
        if first is not None:
            self.error(row, field_name, raw, _("Repeats row %(row)d of this file.") % {"row": first})
            return True
        self.seen[key] = row
        return False

    def process(self, chunk: list[Row]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """After the last chunk (commit only): whatever needs every row written first."""


@dataclass(slots=True)
class CustomerRef:
    pk: int
    code: str
    uscc: str
    name: str
    owner_id: int
    payment_terms_days: int


class _RefQuery:
    """A values_list query that filters like a queryset and yields CustomerRefs."""

    def __init__(self, qs: Any) -> None:
        self.qs = qs

    def filter(self, **kw: Any) -> list[CustomerRef]:
        return [CustomerRef(*row) for row in self.qs.filter(**kw)]


class CustomerResolver:
    """Customers named in a row by code, else USCC, else name — only those the user sees."""

    def __init__(self, importer: Importer, *, light: bool = False) -> None:
        self.importer = importer
        self.light = light  # CustomerRef (pk, code, owner, terms) instead of whole customers
        self.by_code: dict[str, Customer | None] = {}
        self.by_uscc: dict[str, Customer | None] = {}
        self.by_name: dict[str, Customer | None] = {}
        self.tables = {"customer_code": self.by_code, "customer_uscc": self.by_uscc, "customer_name": self.by_name}
        self.row_keys: dict[int, tuple[str, str]] = {}

    def prefetch(self, chunk: list[Row]) -> None:
        visible: Any = customer_visible(user=self.importer.user)
        if self.light:
            visible = visible.values_list("pk", "code", "uscc", "name", "owner_id", "payment_terms_days", named=False)
            visible = _RefQuery(visible)
        else:
            visible = visible.select_related("owner__team")
        # Each row is named by the first of code, credit code, name that it gives.
        keys: dict[int, tuple[str, str]] = {}
        codes: set[str] = set()
        usccs: set[str] = set()
        names: set[str] = set()
        for number, d in chunk:
            code = v.text(d.get("customer_code"))
            if code:
                keys[number] = ("customer_code", code)
                codes.add(code)
                continue
            uscc = v.text(d.get("customer_uscc")).upper()
            if uscc:
                keys[number] = ("customer_uscc", uscc)
                usccs.add(uscc)
                continue
            name = v.text(d.get("customer_name"))
            if name:
                keys[number] = ("customer_name", name)
                names.add(name)
        self.row_keys = keys
        codes -= self.by_code.keys()
        usccs -= self.by_uscc.keys()
        names -= self.by_name.keys()
        for code in codes:
            self.by_code[code] = None
        for uscc in usccs:
            self.by_uscc[uscc] = None
        for c in visible.filter(code__in=codes) if codes else []:
            self.by_code[c.code] = c
        for c in visible.filter(uscc__in=usccs) if usccs else []:
            self.by_uscc[c.uscc] = c
        if names:
            found: dict[str, list[Customer]] = {}
            for c in visible.filter(name__in=names):
                found.setdefault(c.name, []).append(c)
            for name in names:
                matches = found.get(name, [])
                self.by_name[name] = matches[0] if len(matches) == 1 else None
                if len(matches) > 1:
                    self.by_name[name + "\x00ambiguous"] = None

    def get(self, row: int, data: dict[str, Any]) -> Customer | None:
        """The customer the row names (after ``prefetch`` of its chunk), or None with the row's error."""
        named = self.row_keys.get(row)
        if named is None:
            self.importer.error(row, "customer_code", "", _("Name the customer: its code, credit code or name."))
            return None
        field_name, key = named
        table = self.tables[field_name]
        customer = table.get(key)
        if customer is None:
            reason = (_("More than one customer has this name; give the customer code.")
                      if key + "\x00ambiguous" in table else _("No such customer in your book."))
            self.importer.error(row, field_name, key, reason)
        return customer


def chunks(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
