"""The dependency direction of STYLE.md: core ← accounts ← customers ← the rest, one way; dataio and
demo over the domain; analytics over everything, and nothing imports analytics. Domain code never
imports the API layer or views. Every app is placed in exactly one of these layers."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "kehu"
# Domain apps, each may import only those before it.
ORDER = ["core", "accounts", "customers", "ledger", "credit", "engagement", "prospecting", "keyaccounts", "visits"]
# Over the domain: each may import the domain and the ones before it here; no domain app imports them.
TOP = ["dataio", "demo", "analytics"]
# The web layer: the only modules that may import the API framework, API modules or views.
WEB = {"api.py", "views.py", "urls.py", "api_urls.py", "exports.py", "admin.py"}
WEB_PACKAGES = ("rest_framework", "drf_spectacular")


def imports_of(path: Path) -> set[str]:
    return imports_in(path.read_text(encoding="utf-8"), ["kehu", *path.relative_to(ROOT).parts[:-1]])


def imports_in(source: str, package: list[str]) -> set[str]:
    """Every module a source imports, fully named: relative imports resolved, and each name of a
    `from package import name` counted as the module it may be (`from kehu import credit` is kehu.credit)."""
    tree = ast.parse(source)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kehu" and (ROOT / parts[1]).is_dir() else None


def _modules(app: str):
    for path in (ROOT / app).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        yield path


def test_every_app_has_its_layer():
    apps = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"formats"}}
    assert apps == set(ORDER) | set(TOP), f"place these apps in a layer: {apps ^ (set(ORDER) | set(TOP))}"


def test_apps_depend_one_way():
    layers = ORDER + TOP
    problems = []
    for app in layers:
        allowed = set(layers[: layers.index(app) + 1])
        for path in _modules(app):
            for module in imports_of(path):
                target = app_of(module)
                if target is not None and target not in allowed:
                    problems.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not problems, problems


def test_domain_code_never_imports_the_api_or_views():
    problems = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if path.name in WEB or "tests" in rel.parts or "migrations" in rel.parts or rel.parts[0] == "settings.py":
            continue
        for module in imports_of(path):
            last = module.rsplit(".", 1)[-1]
            if last in {"api", "views", "serializers", "urls", "api_urls"} and module.startswith("kehu") \
                    or module.split(".")[0] in WEB_PACKAGES:
                problems.append(f"{rel} imports {module}")
    assert not problems, problems


def test_relative_imports_are_resolved():
    # The check must see through `from ..credit import x`.
    found = imports_in("from ..credit import services\nfrom . import models\n", ["kehu", "ledger"])
    assert {"kehu.credit", "kehu.credit.services", "kehu.ledger.models"} <= found


def test_package_imports_are_seen():
    found = imports_in("from kehu import credit\nfrom kehu.credit import api\n", ["kehu", "ledger"])
    assert app_of(next(m for m in found if m == "kehu.credit")) == "credit"
    assert "kehu.credit.api" in found


def test_a_forbidden_import_is_caught(tmp_path):
    """The checks above would fail on the imports they forbid (not vacuous)."""
    assert app_of("kehu.analytics.views") == "analytics"
    assert "kehu.analytics" in imports_in("from kehu import analytics\n", ["kehu", "ledger"])
