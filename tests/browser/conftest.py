"""A JupyterLab server and Debian's Chromium, driven by Playwright, for the browser tests.

Each server runs from this project's Python (the .venv's) on 127.0.0.1, on a
free port, with a token, over a temporary notebook directory, so the run
writes nothing into the checkout. It is stopped by its PID (terminate, then
kill) when the module's tests are done. Chromium is the system's
``/usr/bin/chromium`` (Debian's ``chromium`` package); Playwright never
downloads a browser here. Without Chromium or Playwright the tests skip,
except under CI (``CI`` set), where they fail.

``pytest tests`` (``make test``) leaves them out; ``make test-browser`` runs them.
Screenshots go to ``tests/browser/screenshots/`` (gitignored), or to
``$CS231N_SCREENSHOTS``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from ci_steps import asked_for, unavailable
from pages import new_page

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
STARTUP_SECONDS = 90

# JupyterLab settings for the test: every cell stays in the DOM (no windowing), no news or update toasts.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
}


def pytest_ignore_collect(collection_path, config):
    """Collect the browser tests only when asked for by path (``make test-browser``), not in ``pytest tests``."""
    return None if asked_for(config, Path(__file__).parent) else True


def _unavailable(reason: str):
    unavailable(reason, "the browser test")


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("CS231N_SCREENSHOTS") or REPO / "tests" / "browser" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is missing; install Debian's chromium package (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed; .venv/bin/pip install -e '.[dev]'")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    with new_page(browser, viewport={"width": 1400, "height": 1000}) as page:
        yield page


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it serves, its token, and the directory it shows."""

    url: str
    token: str
    notebook_dir: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server by its PID; kill it if it has not exited after 10 s."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def start_lab(request, notebook_dir: Path, home: Path, env_extra: dict[str, str] | None = None) -> Lab:
    """Start JupyterLab on ``notebook_dir``; its finalizer (on ``request``) stops it."""
    port, token = _free_port(), secrets.token_hex(16)
    settings = home / "lab-settings"
    for name, text in LAB_SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    env = dict(os.environ, CS231N_SMALL="1", CS231N_PROGRESS="0", CS231N_DATA_DIR=str(REPO / "data"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), MPLCONFIGDIR=str(home / "mpl"))
    env.pop("MPLBACKEND", None)       # the notebooks choose the inline backend themselves
    env.pop("CS231N_STRICT", None)    # a failing check prints FAIL, as a learner sees it
    env.update(env_extra or {})
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--notebook-dir={notebook_dir}",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(home / "jupyterlab.log", "wb")
    proc = subprocess.Popen(cmd, cwd=notebook_dir, env=env, stdout=log, stderr=subprocess.STDOUT)

    def finalize():
        _stop(proc)
        log.close()

    request.addfinalizer(finalize)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{(home / 'jupyterlab.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                if r.status == 200:
                    return Lab(url, token, notebook_dir)
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"JupyterLab did not answer within {STARTUP_SECONDS} s:\n"
                        f"{(home / 'jupyterlab.log').read_text()[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def course_lab(request, tmp_path_factory) -> Lab:
    """JupyterLab over copies of the course's notebooks."""
    base = tmp_path_factory.mktemp("course")
    notebooks = base / "notebooks"
    shutil.copytree(REPO / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return start_lab(request, notebooks, base)


@pytest.fixture(scope="module")
def release_lab(request, tmp_path_factory) -> Lab:
    """JupyterLab over the student release's notebooks, its kernel importing the release's package."""
    base = tmp_path_factory.mktemp("student")
    release = base / "release"
    cli = Path(sys.executable).with_name("cs231n-cnn")
    built = subprocess.run([str(cli), "release", "--out", str(release)], capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return start_lab(request, release / "notebooks", base, {"PYTHONPATH": str(release)})
