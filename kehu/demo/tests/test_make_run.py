"""`make run` on an empty database: the demo is built and the logins are printed once, not twice."""

import shlex
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kehu.demo import data

ROOT = Path(__file__).resolve().parents[3]
SMALL = ["--customers", "6", "--order-lines", "30", "--prospects", "2", "--today", "2026-11-26"]


def demo_commands_of_make_run() -> list[list[str]]:
    """The arguments of every `kehu demo` that `make run` runs, as make itself expands the recipe."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    recipe = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    commands = []
    for line in recipe.splitlines():
        try:
            words = shlex.split(line)
        except ValueError:  # a shell line continued on the next (the worker's), not a `kehu demo`
            continue
        for i, word in enumerate(words[:-1]):
            if word.endswith("/kehu") and words[i + 1] == "demo":
                commands.append(words[i + 2:])
    return commands


@pytest.mark.django_db
def test_make_run_prints_the_logins_once_on_an_empty_database():
    commands = demo_commands_of_make_run()
    assert commands, "make run no longer builds the demo"
    out = StringIO()
    for args in commands:
        building = "--logins" not in args
        call_command("demo", *args, *(SMALL if building else []), stdout=out, stderr=StringIO())
    assert out.getvalue().count(data.DEMO_PASSWORD) == 1, out.getvalue()


@pytest.mark.django_db
def test_no_logins_builds_without_printing_them():
    out = StringIO()
    call_command("demo", "--no-logins", *SMALL, stdout=out, stderr=StringIO())
    assert "Demo company added" in out.getvalue() and data.DEMO_PASSWORD not in out.getvalue()
