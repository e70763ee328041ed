"""The table of who may do what, made from the permission modules themselves (each app's
``permissions.RULES``: a label and a predicate of the role alone), so docs/permissions.md cannot
drift from the code. ``kehu permissions --markdown`` prints it; a test keeps the file current."""

from django.utils import translation

from kehu.accounts.models import Role, User
from kehu.accounts.permissions import RULES as ACCOUNTS_RULES
from kehu.credit.permissions import RULES as CREDIT_RULES
from kehu.dataio.permissions import RULES as DATAIO_RULES
from kehu.prospecting.permissions import RULES as PROSPECTING_RULES
from kehu.visits.permissions import RULES as VISITS_RULES

SECTIONS = [("Customers, orders and organisation", ACCOUNTS_RULES), ("Credit", CREDIT_RULES),
            ("Imports", DATAIO_RULES), ("Prospects", PROSPECTING_RULES), ("Field work", VISITS_RULES)]


def _person(role: str) -> User:
    """An unsaved active user of ``role`` with no team: what the role alone allows."""
    return User(username=f"role-{role}", role=role, is_active=True)


def permissions_matrix() -> list[tuple[str, list[tuple[str, dict[str, bool]]]]]:
    roles = [r.value for r in Role]
    out = []
    for title, rules in SECTIONS:
        rows = []
        for label, predicate in rules:
            rows.append((str(label), {role: bool(predicate(_person(role))) for role in roles}))
        out.append((title, rows))
    return out


def permissions_markdown(*, language: str = "en") -> str:
    with translation.override(language):
        roles = [(r.value, str(r.label)) for r in Role]
        lines = ["# Who may do what", "",
                 "Made by `kehu permissions --markdown` from the permission modules "
                 "(`kehu/*/permissions.py`); do not edit by hand. Row-level rules (whose customers, "
                 "a supervisor's team, approval authority by amount, nobody approving their own request) "
                 "are in the predicates' docstrings.", ""]
        for title, rows in permissions_matrix():
            lines += [f"## {title}", "", "| | " + " | ".join(label for _v, label in roles) + " |",
                      "|---|" + "---|" * len(roles)]
            for label, allowed in rows:
                lines.append(f"| {label} | " + " | ".join("✓" if allowed[v] else "" for v, _l in roles) + " |")
            lines.append("")
        return "\n".join(lines)
