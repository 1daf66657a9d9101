"""First-run fixes: a missing secret says how to start in development; Ctrl-C stops `make run` with status 0."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_secret_says_to_use_make_run_or_debug():
    env = {key: value for key, value in os.environ.items()
           if key not in ("DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY")}
    result = subprocess.run([sys.executable, "-c", "import config.settings.base"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "SECRET_KEY is not set" in last_line
    assert "make run" in last_line
    assert "DEBUG=1" in last_line


@pytest.mark.parametrize("command", [["runserver", "--noreload"], ["makemigrations", "--check", "--dry-run"],
                                     ["check"]])
def test_manage_py_without_secrets_stops_with_one_line_that_says_what_to_do(command):
    # given: a checkout after `make install` alone (no .env, production settings, no secrets)
    env = {key: value for key, value in os.environ.items()
           if key not in ("DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY")
           and not key.startswith("DJANGO_")}
    # when
    result = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    # then: no traceback, whichever system check would have run first; one line naming the secret and the way out
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY is not set" in lines[0]
    assert "make run" in lines[0]
    assert "DEBUG=1" in lines[0]


def test_ctrl_c_stops_every_process_of_make_run_and_exits_0():
    # given: the launcher `make run` uses, with two long-running processes
    process = subprocess.Popen([sys.executable, str(ROOT / "config/foreground.py"), "sleep 300", "sleep 301"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    # when: Ctrl-C reaches its process group (the terminal's foreground group)
    os.killpg(process.pid, signal.SIGINT)
    out, _err = process.communicate(timeout=30)
    # then
    assert process.returncode == 0
    assert "Stopped web, worker and beat." in out
    leftover = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
