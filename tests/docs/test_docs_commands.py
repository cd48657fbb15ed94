"""Every command the README and docs/*.md show in a ```sh block still exists and takes the arguments shown,
so the docs cannot rot: `manage.py` commands are parsed by their own argument parser (nothing runs),
files they name must exist, and `make` targets must be known to make (`make -n`)."""
from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Installing a release, system accounts and directories, setting variables: deploy steps, not commands.
NOT_RUN_HERE = ("pip", "export", "python3.11", "useradd", "install", "systemctl", "systemd-analyze", "gunicorn", "ssh")


def shown_commands() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(), flags=re.S):
            for line in block.splitlines():
                line = re.sub(r"(^|\s+)#.*$", "", line).strip().rstrip("\\").strip()
                line = re.sub(r"^([A-Z_]+=\S+(\s+|$))+", "", line)  # VAR=value before a command
                line = re.sub(r"^\S*/bin/(\w)", r"\1", line)  # a virtualenv's pip or gunicorn
                if line.startswith("rollout-tracker "):  # the installed release's manage.py
                    line = "python manage.py " + line[len("rollout-tracker "):]
                if line:
                    found.append((doc.name, line))
    return found


COMMANDS = shown_commands()


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 20
    assert all(line.split()[0] in ("make", "python", *NOT_RUN_HERE) for _, line in COMMANDS), COMMANDS


@pytest.mark.parametrize(("doc", "line"), [c for c in COMMANDS if c[1].startswith("python manage.py")],
                         ids=lambda value: value if isinstance(value, str) and " " not in value else None)
def test_a_manage_py_command_takes_the_arguments_shown(doc, line):
    _, _, name, *args = shlex.split(line)
    commands = get_commands()
    assert name in commands, f"{doc}: no command {name!r}"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    parser.parse_args(args)  # an unknown option or a missing argument exits (SystemExit fails the test)
    for arg in args:
        if "/" in arg and not arg.startswith("-") and arg.endswith((".csv", ".json")):
            assert (ROOT / arg).exists(), f"{doc}: {arg} does not exist"


@pytest.mark.parametrize("line", sorted({line for _, line in COMMANDS if line.startswith("make")}))
def test_a_make_command_is_a_known_target(line):
    result = subprocess.run(["make", "-n", *shlex.split(line)[1:]], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
