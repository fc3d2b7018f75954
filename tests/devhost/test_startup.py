"""devhost refuses to start, with a clear message and a non-zero exit code, when the app dir or its
host.json is wrong (instead of serving another folder's app, or a raw traceback)."""

from __future__ import annotations

import os
import subprocess
import sys

from devhost.testing import PROJECT_ROOT, free_port
from tests.devhost.conftest import TESTAPP


def run_devhost(app_dir, tmp_path, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), PYTHONUNBUFFERED="1")
    # a safety stop: a devhost that starts instead of refusing would serve until killed
    return subprocess.run([sys.executable, "-m", "devhost", "--app-dir", str(app_dir), "--port", str(free_port()),
                           "--data-dir", str(tmp_path / "data")], cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=60)


def test_app_dir_without_function_app_is_refused_even_when_the_cwd_has_one(tmp_path):
    empty = tmp_path / "not-an-app"
    empty.mkdir()
    done = run_devhost(empty, tmp_path, cwd=TESTAPP)  # TESTAPP holds a function_app.py devhost must not take
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert f"{empty} has no function_app.py" in done.stderr
    assert "Traceback" not in done.stderr
    assert "ready on" not in done.stdout and str(TESTAPP) not in done.stdout


def test_invalid_host_json_names_the_file_line_and_column(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text("import azure.functions as func\napp = func.FunctionApp()\n")
    host_json = app / "host.json"
    # line 2 is a comment (allowed in host.json): the error's line must still be the file's own line 4
    host_json.write_text('{\n  // durable settings below\n  "version": "2.0",\n  "extensions": {"http": {}},,\n}\n')
    done = run_devhost(app, tmp_path, cwd=app)
    assert done.returncode == 2, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert f"{host_json} is not valid JSON" in done.stderr
    assert "at line 4, column 30" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_local_settings_is_refused_too(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "function_app.py").write_text("import azure.functions as func\napp = func.FunctionApp()\n")
    settings = app / "local.settings.json"
    settings.write_text('{"Values": {"A": "1" "B": "2"}}')
    done = run_devhost(app, tmp_path, cwd=app)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{settings} is not valid JSON" in done.stderr and "line 1, column 22" in done.stderr
