"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

- The browser is the system one (``/usr/bin/chromium`` or ``$KEHU_CHROMIUM``); nothing is ever
  downloaded. When it is missing the tests are skipped with a warning, unless
  ``KEHU_REQUIRE_BROWSER=1`` (CI sets it), when they fail.
- ``live_server`` serves Django from a thread, so the tests use ``transactional_db``: what a
  test seeds is committed and the server sees it.
- Playwright's sync API keeps an asyncio loop running in this thread, which trips Django's
  "async unsafe" guard for ORM calls in the test itself. The guard is lifted only while the
  browser module runs, and Playwright is stopped at the end of it, so other tests keep it.
- Screenshots go to ``test-artifacts/screenshots/`` (gitignored); a failing test leaves one
  named ``FAILED-<test>.png`` there too.
"""

import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Device:
    name: str
    width: int
    height: int
    is_mobile: bool = False
    has_touch: bool = False
    scale: float = 1


DESKTOP = Device("desktop", 1280, 800)
PHONE = Device("phone", 390, 844, is_mobile=True, has_touch=True, scale=2)
DEVICES = [DESKTOP, PHONE]
DEVICE_PARAMS = [pytest.param(d, id=d.name) for d in DEVICES]  # @pytest.mark.parametrize("device", DEVICE_PARAMS)


def zh(message: str) -> str:
    """``message`` as the pages show it to the browser (Chinese)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(translation.gettext(message))


def _chromium_path() -> str:
    return os.environ.get("KEHU_CHROMIUM") or "/usr/bin/chromium"


def _no_browser(reason: str) -> None:
    if os.environ.get("KEHU_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (KEHU_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
    message = f"browser tests skipped: {reason}. Install Debian's chromium: apt-get install chromium fonts-noto-cjk"
    print(f"\nWARNING: {message}", file=sys.stderr)
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = _chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _no_browser(f"no chromium at {path}")
    return path


@pytest.fixture(scope="module")
def browser(chromium_executable):
    """One headless chromium per module; Playwright stops when the module is done."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        _no_browser("the playwright package is not installed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob("FAILED-*.png"):
        stale.unlink()
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        try:
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True,
            )
        except Exception as exc:
            _no_browser(f"chromium at {chromium_executable} did not start: {exc}")
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Screens:
    """Full-page screenshots named ``<device>-<what>.png`` in test-artifacts/screenshots/."""

    def __init__(self, page, device: Device):
        self.page = page
        self.device = device
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(self, what: str, *, docs: bool = False) -> Path:
        path = SCREENSHOTS / f"{self.device.name}-{what}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        if docs and os.environ.get("KEHU_UPDATE_DOC_SCREENSHOTS") == "1":
            # The README's screenshots are refreshed on request only, so a test run leaves the
            # tracked files alone.
            DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOC_SCREENSHOTS / path.name)
        return path


def make_page(browser, device: Device, request, live_server):
    from playwright.sync_api import expect

    """A fresh context (no cookies) for one device, Chinese browser, China time.

    Records uncaught JavaScript errors and server errors (5xx); the test fails on either.
    """
    context = browser.new_context(
        viewport={"width": device.width, "height": device.height},
        device_scale_factor=device.scale,
        is_mobile=device.is_mobile,
        has_touch=device.has_touch,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=live_server.url,
    )
    expect.set_options(timeout=10_000)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} for {r.url}") if r.status >= 500 else None)
    page.problems = problems
    return context, page


@pytest.fixture
def device_page(request, browser, live_server):
    """``(page, screens)`` for the device the test is parametrized with (``device`` param)."""
    device: Device = request.getfixturevalue("device")
    context, page = make_page(browser, device, request, live_server)
    yield page, Screens(page, device)
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
        try:
            page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}.png"), full_page=True)
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
    problems = list(page.problems)
    context.close()
    if problems and not (failed is not None and failed.failed):
        pytest.fail("the browser saw errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _axes_fresh(transactional_db):
    """Axes stays as configured (on by default): the login form goes through it for real.

    Each test starts with no failed-login records, so one test's wrong password never locks
    a later test out (the flush between transactional tests clears them as well).
    """
    from axes.utils import reset

    reset()


def pick_product(line, product) -> None:
    """Pick ``product`` on an order line as a person does: type part of its grade, tap the match."""
    from playwright.sync_api import expect

    line.locator("input.product-search").fill(product.grade or product.name)
    # the matches come from the server after a pause in typing: on a busy machine, later than most
    line.locator(f".product-results .product-pick[data-pk='{product.pk}']").click(timeout=30_000)
    expect(line.locator("input[name=product]")).to_have_value(str(product.pk))
