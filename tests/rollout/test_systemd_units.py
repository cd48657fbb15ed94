"""The example systemd units (deploy/systemd/): valid for `systemd-analyze verify` (skipped where it
is not installed), restarted on failure, KillMode=mixed, quiet Celery, and exactly one beat."""
from __future__ import annotations

import getpass
import grp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
NAMES = ("rollout-web.service", "rollout-worker.service", "rollout-beat.service")


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


@pytest.mark.parametrize("name", NAMES)
def test_each_unit_restarts_on_failure_and_stops_gracefully(name):
    values = unit(name)
    assert values["Restart"] == ["on-failure"]
    assert values["KillMode"] == ["mixed"]
    assert values["EnvironmentFile"] == ["/etc/rollout-tracker/env"]


def test_the_celery_units_start_quietly_and_there_is_one_beat():
    commands = {name: unit(name)["ExecStart"][0] for name in NAMES}
    assert "rollout.gunicorn_conf" in commands["rollout-web.service"]
    assert all("celery --quiet -A rollout" in commands[n] for n in ("rollout-worker.service", "rollout-beat.service"))
    beats = [p.name for p in UNITS.glob("*.service") if " beat" in unit(p.name)["ExecStart"][0]]
    assert beats == ["rollout-beat.service"]


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    env_file = tmp_path / "env"
    env_file.write_text("WORKER_CONCURRENCY=2\n")
    # The same units with this machine's paths and user: verify checks that commands and users exist.
    bin_dir = str(Path(sys.executable).parent)
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    for name in NAMES:
        text = (UNITS / name).read_text()
        text = (text.replace("/opt/rollout-tracker/venv/bin", bin_dir).replace("/etc/rollout-tracker/env", str(env_file))
                .replace("/var/lib/rollout-tracker", str(tmp_path)).replace("User=rollout", f"User={user}")
                .replace("Group=rollout", f"Group={group}"))
        (tmp_path / name).write_text(text)
    result = subprocess.run([analyze, "verify", *(str(tmp_path / n) for n in NAMES)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    # verify only warns (exit 0) about a bad value: any line it prints is a problem.
    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert problems == []
