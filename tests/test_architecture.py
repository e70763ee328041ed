"""The dependency direction of STYLE.md: core ← accounts ← customers ← the rest; nothing imports
analytics; domain code never imports the API layer or views."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "kehu"
ORDER = ["core", "accounts", "customers", "ledger", "credit", "engagement", "prospecting", "keyaccounts", "visits"]  # each may import only those before it
TOP = {"demo", "analytics", "dataio"}  # over everything; no app imports them


def imports_of(path: Path) -> set[str]:
    return imports_in(path.read_text(encoding="utf-8"), ["kehu", *path.relative_to(ROOT).parts[:-1]])


def imports_in(source: str, package: list[str]) -> set[str]:
    tree = ast.parse(source)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            # Relative: `from ..credit import x` in kehu/ledger/ is kehu.credit.
            base = package[: len(package) - node.level + 1]
            out.add(".".join(base + ([node.module] if node.module else [])))
            if not node.module:
                out.update(".".join(base + [alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kehu" else None


def test_apps_depend_one_way():
    problems = []
    for app in ORDER:
        allowed = set(ORDER[: ORDER.index(app) + 1])
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for module in imports_of(path):
                target = app_of(module)
                if target in TOP or (target in ORDER and target not in allowed):
                    problems.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not problems, problems


def test_domain_code_never_imports_the_api_or_views():
    problems = []
    for path in ROOT.rglob("*.py"):
        if path.name in {"models.py", "services.py", "selectors.py"}:
            for module in imports_of(path):
                if module.endswith((".api", ".views", ".serializers")) or module.startswith("rest_framework"):
                    problems.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not problems, problems


def test_relative_imports_are_resolved():
    # The check must see through `from ..credit import x`.
    found = imports_in("from ..credit import services\nfrom . import models\n", ["kehu", "ledger"])
    assert {"kehu.credit", "kehu.ledger.models"} <= found
