"""`kehu route PROBLEM.json [--time-limit SECONDS] [--json]`."""

import json
import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

PROBLEM: dict[str, Any] = {
    "day": {"start": 480, "end": 1080},
    "base": {"id": "仓库", "lat": 30.27, "lon": 120.15},
    "stops": [
        {"id": "杭州甲油品", "lat": 30.29, "lon": 120.17, "service_min": 40, "time_windows": [[510, 720]],
         "skip_penalty": 10000},
        {"id": "B2", "lat": 30.25, "lon": 120.10, "service_min": 30, "time_windows": [[510, 690], [810, 1050]],
         "skip_penalty": 3000},
        {"id": "too-long", "lat": 30.30, "lon": 120.20, "service_min": 700, "skip_penalty": 1000, "grade": "C"},
    ],
    "note": "unknown keys are ignored",
}


def write(tmp_path, data, name="problem.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run(*args) -> str:
    out = StringIO()
    call_command("route", *args, stdout=out)
    return out.getvalue()


def test_json_plan_has_exactly_the_issue_shape(tmp_path):
    plan = json.loads(run(write(tmp_path, PROBLEM), "--json", "--time-limit", "0.2"))
    assert set(plan) == {"route", "skipped", "travel_min", "skipped_penalty", "cost", "seconds"}
    assert [set(e) for e in plan["route"]] == [{"id", "arrival", "start", "end"}] * 2
    assert {e["id"] for e in plan["route"]} == {"杭州甲油品", "B2"}
    assert plan["skipped"] == [{"id": "too-long", "reason": plan["skipped"][0]["reason"]}]
    assert plan["skipped"][0]["reason"]
    assert plan["skipped_penalty"] == 1000
    assert plan["cost"] == plan["travel_min"] + 1000
    assert isinstance(plan["seconds"], float)
    for e in plan["route"]:
        assert all(isinstance(e[k], int) for k in ("arrival", "start", "end"))


def test_readable_plan(tmp_path):
    text = run(write(tmp_path, PROBLEM))
    assert "Route from 仓库 (2 visits):" in text
    assert "杭州甲油品" in text and "too-long: The visit is longer" in text
    assert "cost" in text


def test_travel_settings_are_used(tmp_path, settings):
    settings.KEHU_ROUTE_ROAD_FACTOR = 2.0
    settings.KEHU_ROUTE_SPEED_KMH = 10.0
    slow = json.loads(run(write(tmp_path, PROBLEM), "--json"))
    settings.KEHU_ROUTE_ROAD_FACTOR = 1.0
    settings.KEHU_ROUTE_SPEED_KMH = 50.0
    fast = json.loads(run(write(tmp_path, PROBLEM), "--json"))
    assert slow["travel_min"] > 5 * fast["travel_min"] > 0


def test_travel_min_in_the_file_wins(tmp_path):
    problem = dict(PROBLEM, travel_min=[[0, 7, 9, 5], [7, 0, 3, 5], [9, 3, 0, 5], [5, 5, 5, 0]])
    plan = json.loads(run(write(tmp_path, problem), "--json"))
    assert plan["travel_min"] == 7 + 3 + 9


@pytest.mark.parametrize("content, message", [
    ("{bad json", r"not valid JSON \(line 1, column 2"),
    ("", r"not valid JSON"),
    (json.dumps(dict(PROBLEM, stops=[dict(PROBLEM["stops"][0], time_windows=[[720, 510]])])),
     r"the window ends \(510\) before it opens \(720\)"),
    (json.dumps(dict(PROBLEM, stops=[dict(PROBLEM["stops"][0], service_min=-1)])), r"service_min: -1 is negative"),
    (json.dumps(dict(PROBLEM, travel_min=[[0, 1], [1, 0]])), r"travel_min: expected a 4×4 matrix"),
    (json.dumps(dict(PROBLEM, day={"start": "8:00", "end": 1080})), r"day.start: '8:00' is not a number"),
])
def test_bad_files_are_refused_cleanly(tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        run(write(tmp_path, content))


def test_missing_file_and_bad_time_limit(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "nothing.json"))
    with pytest.raises(CommandError, match="--time-limit"):
        run(write(tmp_path, PROBLEM), "--time-limit", "-1")


def test_the_command_exits_non_zero_without_a_traceback(tmp_path):
    path = write(tmp_path, '{"day": {"start": 480, "end": 1080}, "base": {"id": "b"}, "stops": []}')
    done = subprocess.run([sys.executable, "-m", "kehu.cli", "route", path], capture_output=True, text=True)
    assert done.returncode != 0
    assert "base: lat is missing" in done.stderr
    assert "Traceback" not in done.stderr
