"""A real LSP session of ``djmig serve`` on one synthetic workspace, with Django's loader.

    python bench/bench_lsp.py [--apps 100 --migrations 100] [--workspace DIR] [--json PATH]

The benchmark spawns ``python -m djmig serve`` and speaks JSON-RPC over its stdio with a small
asyncio client of its own (no pygls on the client side, so nothing but the pipe sits between
the server and the clock). The client advertises work-done progress, dynamic registration of
watched files and ``workspace/configuration``, and answers the server's requests.

The workspace is a copy of the generated one with a few problems planted, so that "complete
diagnostics" means something (the server publishes only files with findings): a ``RunPython``
without reverse (DM201), a second leaf (DM101 on two files), a missing dependency (DM102).
What the complete diagnostics are is asked of djmig's engine (``analyze_workspace``) first.

Each recorded session measures, from the spawn of the server process:

* the ``initialize`` reply, the first ``publishDiagnostics``, the first *complete*
  diagnostics (every file with findings published, with the expected codes), and the
  ``$/progress`` end of indexing;
* keystroke latency, from writing ``didChange`` (incremental, version + 1) to receiving the
  ``publishDiagnostics`` of that version, on edits that toggle a finding so that every
  keystroke publishes: (a) adding/removing ``, migrations.RunPython.noop`` in the DM201 call;
  (b) pointing the last migration of an app at its grandparent instead of its parent and
  back (DM101 on it and on its parent: a graph change); and (c), a keystroke in a comment,
  which publishes nothing, timed until the reply of a ``codeAction`` request sent after it
  (next to the round trip of that request alone); and (d), a field line pasted into the
  first model of an app's ``models.py`` and removed again (DM401 on it and gone), timed to
  the ``publishDiagnostics`` of the ``models.py``;
* the server's ``VmRSS`` and ``VmHWM`` (``/proc/<pid>/status``) after indexing and after the
  keystrokes;
* navigation requests, each from writing the request to its reply (``NAVIGATION``): go to
  definition, references, hover and completion on a dependency tuple and on a model, the code
  lens and document symbols of a migration, workspace symbols, and ``djmig.showGraph`` (JSON);
  every answer is checked to be non-empty, so the timed work is real.

Django's ``MigrationLoader(None)`` is measured on the unmodified workspace (it refuses the
missing dependency) in the same rounds, interleaved, after one unrecorded warm-up round, with
``bench_check``'s code; ``makemigrations --check --dry-run`` too, in the first
``--makemigrations-runs`` rounds (it takes seconds). ``--profile DIR`` adds one unrecorded
session with the server under cProfile and prints where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_check import VENV_PYTHON, BenchmarkError, Measurement, Runner, settings_module
from generate import generate

FIRST_DIAGNOSTICS_BUDGET = 1.5
"""Issue 3 "Benchmark": spawn to first complete diagnostics on 100 x 100, seconds."""
KEYSTROKE_P95_BUDGET = 0.030
"""Issue 3: keystroke to ``publishDiagnostics``, 95th percentile, seconds."""
MODELS_P95_BUDGET = 0.050
"""Issue 6: ``models.py`` edit to the DM401 ``publishDiagnostics``, 95th percentile, seconds."""
RSS_BUDGET_MB = 300.0
"""Issue 3: server memory, MB (checked against the peak, ``VmHWM``)."""
NAVIGATION_P95_BUDGET = 0.050
"""Issue 9: navigation requests answered within 50 ms (95th percentile), seconds."""

TIMEOUT = 120.0
"""Seconds to wait for any one answer of the server before giving up."""

CAPABILITIES: dict[str, Any] = {
    "general": {"positionEncodings": ["utf-16"]},
    "window": {"workDoneProgress": True, "showMessage": {}},
    "workspace": {
        "configuration": True,
        "workspaceFolders": True,
        "didChangeWatchedFiles": {"dynamicRegistration": True},
    },
    "textDocument": {
        "synchronization": {"dynamicRegistration": False, "didSave": True},
        "publishDiagnostics": {
            "relatedInformation": True,
            "versionSupport": True,
            "codeDescriptionSupport": True,
            "dataSupport": True,
        },
        "codeAction": {
            "codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}},
            "resolveSupport": {"properties": ["edit"]},
        },
    },
}

PROFILED_SERVER = """
import cProfile, functools, sys, threading
from pathlib import Path
from djmig.analysis import Workspace
from djmig.cli import main
from djmig.lsp import server as lsp

out = Path(sys.argv[1])
profiles = {name: cProfile.Profile() for name in ("index", "refresh", "edits")}
local = threading.local()

def wrap(owner, name, phase):
    original = getattr(owner, name)
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        if getattr(local, "busy", False):
            return original(*args, **kwargs)
        local.busy = True
        profiles[phase].enable()
        try:
            return original(*args, **kwargs)
        finally:
            profiles[phase].disable()
            local.busy = False
    setattr(owner, name, wrapper)

wrap(Workspace, "load", "index")
wrap(lsp.DjmigServer, "refresh", "refresh")
wrap(lsp, "_document_changed", "edits")
try:
    main(["serve"])
finally:
    for name, profile in profiles.items():
        profile.dump_stats(str(out / f"{name}.pstats"))
"""


# ----------------------------------------------------------------------------------------------
# Statistics.


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``q`` % at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Latencies:
    label: str
    samples: list[float] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "samples": self.samples,
            "n": len(self.samples),
            "p50": percentile(self.samples, 50),
            "p95": percentile(self.samples, 95),
            "max": max(self.samples),
        }


# ----------------------------------------------------------------------------------------------
# The workspace and its planted problems.


def uri_of(path: Path) -> str:
    return path.as_uri()


def path_of(uri: str) -> str:
    return urllib.request.url2pathname(urllib.parse.urlparse(uri).path)


def migration_files(app_dir: Path) -> list[Path]:
    return sorted(app_dir.glob("migrations/[0-9]*.py"))


def apps_of(root: Path) -> list[Path]:
    return sorted(p.parent.parent for p in root.glob("*/migrations/__init__.py"))


RUN_PYTHON = re.compile(r"migrations\.RunPython\((\w+)(, migrations\.RunPython\.noop)\)")


@dataclass
class Plan:
    """The planted problems and the two files the keystrokes edit."""

    run_python: Path  # DM201, keystrokes (a) and (c)
    noop_offset: int  # where ", migrations.RunPython.noop" was removed
    second_leaf: Path  # DM101, with the app's former leaf
    missing_dependency: Path  # DM102
    conflict: Path  # keystrokes (b): the app's last migration
    conflict_parent: Path
    parent_name: str
    grandparent_name: str
    models: Path  # keystrokes (d): a models.py whose first model gains a field (DM401)
    models_offset: int  # end of that model's first field line

    def as_json(self, root: Path) -> dict[str, Any]:
        return {
            name: str(value.relative_to(root)) if isinstance(value, Path) else value
            for name, value in self.__dict__.items()
        }


def _rotation(apps: list[Path], start: int, used: set[Path]) -> list[Path]:
    order = [apps[(start + i) % len(apps)] for i in range(len(apps))]
    return [app for app in order if app not in used]


def _pick(apps: list[Path], start: int, used: set[Path], ok: Callable[[Path], bool]) -> Path:
    for app in _rotation(apps, start, used):
        if ok(app):
            used.add(app)
            return app
    raise BenchmarkError("the workspace is too small to plant the benchmark's problems")


def plant(root: Path) -> Plan:
    """Plant the problems in ``root`` (a copy): apps 10, 20, 30 and 40 when there are enough."""
    apps = apps_of(root)
    if len(apps) < 4:
        raise BenchmarkError("the benchmark needs at least 4 apps")
    used: set[Path] = set()

    def with_run_python(app: Path) -> bool:
        return any(RUN_PYTHON.search(p.read_text()) for p in migration_files(app))

    def long_enough(app: Path) -> bool:
        return len(migration_files(app)) >= 3

    # DM201: the first RunPython(f, migrations.RunPython.noop) of the app loses its reverse.
    app = _pick(apps, 10, used, with_run_python)
    run_python_app = app
    run_python = next(p for p in migration_files(app) if RUN_PYTHON.search(p.read_text()))
    text = run_python.read_text()
    match = RUN_PYTHON.search(text)
    assert match is not None
    run_python.write_text(text[: match.start(2)] + text[match.end(2) :])

    # DM101: a second child of the leaf's parent.
    app = _pick(apps, 20, used, long_enough)
    files = migration_files(app)
    number = int(files[-1].name[:4]) + 1
    second_leaf = files[-1].with_name(f"{number:04d}_bench_second_leaf.py")
    second_leaf.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n\n"
        f'    dependencies = [\n        ("{app.name}", "{files[-2].stem}"),\n    ]\n\n'
        "    operations = []\n"
    )

    # DM102: the last migration also depends on a migration that does not exist.
    app = _pick(apps, 30, used, long_enough)
    missing = migration_files(app)[-1]
    text = missing.read_text()
    head = "    dependencies = [\n"
    if head not in text:
        raise BenchmarkError(f"{missing}: no multi-line dependencies list")
    missing.write_text(text.replace(head, f'{head}        ("{app.name}", "9999_missing"),\n', 1))

    # Keystrokes (b): the last migration, whose parent is the second to last.
    app = _pick(apps, 40, used, long_enough)
    files = migration_files(app)
    if f'("{app.name}", "{files[-2].stem}")' not in files[-1].read_text():
        raise BenchmarkError(f"{files[-1]} does not depend on {files[-2].stem}")

    # Keystrokes (d): the end of the first field line of the first model of an app whose
    # migrations depend on no app outside the workspace (without an interpreter configured,
    # djmig cannot see django.contrib.auth's migrations and stays silent about such apps).
    names = {app.name for app in apps}

    def on_its_own(app: Path) -> bool:
        texts = [p.read_text() for p in migration_files(app)]
        others = {m for t in texts for m in re.findall(r'\(\s*"(\w+)",\s*"', t)} - names
        isolated = not others and not any("swappable_dependency" in t for t in texts)
        return isolated and (app / "models.py").is_file()

    # The DM201 app will do (a file rule); the apps with graph problems would not.
    models = _pick(apps, 50, used - {run_python_app}, on_its_own) / "models.py"
    field = re.search(r"^class \w+\(models\.Model\):\n    \w+ = .*$", models.read_text(), re.M)
    if field is None:
        raise BenchmarkError(f"{models}: no model with a one-line first field")
    return Plan(
        run_python=run_python,
        noop_offset=match.start(2),
        second_leaf=second_leaf,
        missing_dependency=missing,
        conflict=files[-1],
        conflict_parent=files[-2],
        parent_name=files[-2].stem,
        grandparent_name=files[-3].stem,
        models=models,
        models_offset=field.end(),
    )


EXPECTED_FINDINGS = """
import json, sys
from pathlib import Path
from djmig.analysis import analyze_workspace
analysis = analyze_workspace(Path(sys.argv[1]))
print(json.dumps({
    str(path): sorted(f.code for f in found)
    for path, found in analysis.findings_by_path().items()
}))
"""


def expected_findings(runner: Runner, root: Path, plan: Plan) -> dict[str, list[str]]:
    """Files with findings and their codes, per djmig's engine; the planted ones must show."""
    expected: dict[str, list[str]] = runner.snippet(EXPECTED_FINDINGS, str(root), djmig=True)
    checks = [(plan.run_python, "DM201"), (plan.second_leaf, "DM101")]
    checks.append((plan.missing_dependency, "DM102"))
    absent = [
        f"{path.relative_to(root)} {code}"
        for path, code in checks
        if code not in expected.get(str(path), [])
    ]
    if absent:
        raise BenchmarkError("djmig does not report the planted problems: " + ", ".join(absent))
    for path in (plan.conflict, plan.conflict_parent):
        if "DM101" in expected.get(str(path), []):
            raise BenchmarkError(f"{path} has a DM101 before the keystrokes")
    if any("DM401" in codes for codes in expected.values()):
        raise BenchmarkError("djmig reports DM401 on the generated models (they are in sync)")
    return expected


# ----------------------------------------------------------------------------------------------
# A minimal LSP client over the server's stdio.


@dataclass
class Publish:
    time: float
    path: str
    version: int | None
    codes: tuple[str, ...]


class LspClient:
    """JSON-RPC over a subprocess's stdio; every message is timestamped on arrival."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned = 0.0
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[tuple[float, Any]]] = {}
        self.publishes: list[Publish] = []
        self.progress: list[tuple[float, str]] = []  # (time, "begin" | "report" | "end")
        self.server_requests: dict[str, int] = {}
        self.log_messages: list[str] = []
        self.arrived = asyncio.Condition()
        self.reader: asyncio.Task[None] | None = None
        self.closed = False

    async def start(self, argv: Sequence[str], env: dict[str, str], stderr: Any) -> None:
        self.spawned = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=self.root,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            limit=1 << 24,
        )
        self.reader = asyncio.create_task(self._read())

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    async def notify(self, method: str, params: Any) -> float:
        """Send a notification; return the time it was handed to the pipe."""
        sent = time.perf_counter()
        self._write({"method": method, "params": params})
        assert self.proc is not None and self.proc.stdin is not None
        await self.proc.stdin.drain()
        return sent

    async def request(self, method: str, params: Any) -> tuple[float, Any]:
        """Send a request; return the time its reply arrived and the result."""
        self.next_id += 1
        future: asyncio.Future[tuple[float, Any]] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.notify_raw({"id": self.next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, TIMEOUT)

    async def notify_raw(self, message: dict[str, Any]) -> None:
        self._write(message)
        assert self.proc is not None and self.proc.stdin is not None
        await self.proc.stdin.drain()

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stream = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = await stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length is None:
                    raise BenchmarkError("a message without Content-Length")
                body = await stream.readexactly(length)
                self._dispatch(time.perf_counter(), json.loads(body))
                async with self.arrived:
                    self.arrived.notify_all()
        finally:
            self.closed = True
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(BenchmarkError("the server closed its output"))
            async with self.arrived:
                self.arrived.notify_all()

    def _dispatch(self, now: float, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:
            future = self.pending.pop(message.get("id"), None)  # type: ignore[arg-type]
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(BenchmarkError(f"error reply: {message['error']}"))
                else:
                    future.set_result((now, message.get("result")))
        elif "id" in message:
            self.server_requests[method] = self.server_requests.get(method, 0) + 1
            self._write({"id": message["id"], "result": self._answer(method, message)})
        elif method == "textDocument/publishDiagnostics":
            params = message["params"]
            codes = tuple(sorted(str(d.get("code")) for d in params["diagnostics"]))
            self.publishes.append(
                Publish(now, path_of(params["uri"]), params.get("version"), codes)
            )
        elif method == "$/progress":
            self.progress.append((now, str(message["params"]["value"].get("kind"))))
        elif method in ("window/logMessage", "window/showMessage"):
            self.log_messages.append(str(message["params"].get("message")))

    def _answer(self, method: str, message: dict[str, Any]) -> Any:
        if method == "workspace/configuration":
            return [None for _ in message["params"]["items"]]
        if method == "workspace/workspaceFolders":
            return [{"uri": uri_of(self.root), "name": self.root.name}]
        return None  # workDoneProgress/create, (un)registerCapability, refreshes

    async def wait_for(self, ready: Callable[[], Any], what: str) -> Any:
        """Wait until ``ready()`` returns something true; return it."""

        def check() -> Any:
            return ready() or self.closed

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(check), TIMEOUT)
        result = ready()
        if not result:
            raise BenchmarkError(f"the server exited while waiting for {what}")
        return result

    def publish_after(
        self, start: int, path: Path, version: int | None = None, any_version: bool = False
    ) -> Publish | None:
        for publish in self.publishes[start:]:
            if publish.path == str(path) and (any_version or publish.version == version):
                return publish
        return None

    async def next_publish(
        self,
        start: int,
        path: Path,
        what: str,
        version: int | None = None,
        any_version: bool = False,
    ) -> Publish:
        """The first publish for ``path`` (of ``version``) from ``publishes[start]`` on."""
        found: Publish = await self.wait_for(
            lambda: self.publish_after(start, path, version, any_version), what
        )
        return found

    async def stop(self) -> int | None:
        if self.proc is None:
            return None
        try:
            if not self.closed:
                await self.request("shutdown", None)
                await self.notify("exit", None)
            return await asyncio.wait_for(self.proc.wait(), 10)
        except (BenchmarkError, asyncio.TimeoutError, ConnectionError):
            if self.proc.returncode is None:
                self.proc.kill()
            return await self.proc.wait()


def cpu_busy() -> float | None:
    """CPU seconds the machine has been busy (all cores, steal included; None off Linux)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a running process (None off Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` of a process in MB (empty off Linux)."""
    result: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return result
    for key in ("VmRSS", "VmHWM"):
        match = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
        if match:
            result[key] = int(match.group(1)) / 1024
    return result


# ----------------------------------------------------------------------------------------------
# Documents edited by the keystrokes.


class Document:
    """The client's copy of an open document; edits become incremental ``didChange``s."""

    def __init__(self, client: LspClient, path: Path) -> None:
        self.client = client
        self.path = path
        self.uri = uri_of(path)
        self.text = path.read_text()
        self.version = 1

    async def open(self) -> float:
        return await self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": self.uri,
                    "languageId": "python",
                    "version": self.version,
                    "text": self.text,
                }
            },
        )

    def position(self, offset: int) -> dict[str, int]:
        line = self.text.count("\n", 0, offset)
        start = self.text.rfind("\n", 0, offset) + 1
        character = len(self.text[start:offset].encode("utf-16-le")) // 2
        return {"line": line, "character": character}

    async def replace(self, start: int, end: int, new: str) -> float:
        """Replace ``text[start:end]`` by ``new``; return the time the change was sent."""
        change = {"range": {"start": self.position(start), "end": self.position(end)}}
        change["text"] = new  # type: ignore[assignment]
        self.text = self.text[:start] + new + self.text[end:]
        self.version += 1
        return await self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [change],
            },
        )

    async def code_action(self) -> float:
        """Ask for code actions at the start of the file; return the time of the reply."""
        zero = {"line": 0, "character": 0}
        replied, _ = await self.client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": self.uri},
                "range": {"start": zero, "end": zero},
                "context": {"diagnostics": []},
            },
        )
        return replied


# ----------------------------------------------------------------------------------------------
# One session.

KEYSTROKES = {
    "run_python": "(a) RunPython reverse added/removed (DM201), its file",
    "dependency": "(b) dependency parent/grandparent (DM101), edited file",
    "dependency_all": "(b) dependency parent/grandparent (DM101), both files",
    "comment": "(c) keystroke in a comment, no finding changes *",
    "models": "(d) models.py field added/removed (DM401), its file",
    "code_action": "    codeAction round trip alone, for scale",
}
"""Keys of the keystroke rows and their labels."""


@dataclass
class Session:
    initialize: float = 0.0
    first_publish: float = 0.0
    first_complete: float = 0.0
    progress_begin: float = 0.0
    progress_end: float = 0.0
    other_cpu: float | None = None  # cores busy with other processes, on average
    memory_indexed: dict[str, float] = field(default_factory=dict)
    memory_after: dict[str, float] = field(default_factory=dict)
    keystrokes: dict[str, list[float]] = field(default_factory=dict)
    navigation: dict[str, list[float]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    server_requests: dict[str, int] = field(default_factory=dict)
    log_messages: list[str] = field(default_factory=list)
    exit_code: int | None = None


async def run_session(
    argv: Sequence[str],
    env: dict[str, str],
    root: Path,
    plan: Plan,
    expected: dict[str, list[str]],
    keystrokes: int,
    pause: float,
    stderr: Any,
) -> Session:
    client = LspClient(root)
    session = Session()
    busy, own = cpu_busy(), time.process_time()
    await client.start(argv, env, stderr)
    try:
        await initialize(client, session, root, expected)
        session.memory_indexed = memory(client.pid)
        if keystrokes:
            await type_keystrokes(client, session, plan, keystrokes, pause)
            session.memory_after = memory(client.pid)
            await navigate(client, session, root, plan, keystrokes, pause)
        session.server_requests = dict(client.server_requests)
        session.log_messages = list(client.log_messages)
        server = process_cpu(client.pid)
        wall = time.perf_counter() - client.spawned
        if busy is not None and server is not None:
            others = cpu_busy() - busy - server - (time.process_time() - own)  # type: ignore[operator]
            session.other_cpu = max(0.0, others / wall)
    finally:
        session.exit_code = await client.stop()
    return session


async def initialize(
    client: LspClient, session: Session, root: Path, expected: dict[str, list[str]]
) -> None:
    folder = {"uri": uri_of(root), "name": root.name}
    replied, _ = await client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "clientInfo": {"name": "djmig-bench"},
            "rootUri": folder["uri"],
            "workspaceFolders": [folder],
            "capabilities": CAPABILITIES,
        },
    )
    session.initialize = replied - client.spawned
    await client.notify("initialized", {})
    wanted = {path: tuple(codes) for path, codes in expected.items()}

    def complete() -> float | None:
        seen: dict[str, float] = {}
        for publish in client.publishes:
            if wanted.get(publish.path) == publish.codes:
                seen.setdefault(publish.path, publish.time)
        ended = any(kind == "end" for _, kind in client.progress)
        return max(seen.values()) if len(seen) == len(wanted) and ended else None

    done = await client.wait_for(complete, "the first complete diagnostics")
    session.first_complete = done - client.spawned
    session.first_publish = client.publishes[0].time - client.spawned
    begin = next(t for t, kind in client.progress if kind == "begin")
    session.progress_begin = begin - client.spawned
    session.progress_end = next(t for t, kind in client.progress if kind == "end") - client.spawned
    session.unexpected = sorted(
        {
            f"{Path(p.path).relative_to(root)} {list(p.codes)}"
            for p in client.publishes
            if p.codes and wanted.get(p.path) != p.codes
        }
    )


async def type_keystrokes(
    client: LspClient, session: Session, plan: Plan, count: int, pause: float
) -> None:
    samples: dict[str, list[float]] = {key: [] for key in KEYSTROKES}
    session.keystrokes = samples

    # (a) ", migrations.RunPython.noop" typed in and deleted again, one change each.
    document = Document(client, plan.run_python)
    start = len(client.publishes)
    await document.open()
    await client.next_publish(start, document.path, "didOpen", 1)
    noop = ", migrations.RunPython.noop"
    offset = plan.noop_offset
    for i in range(count):
        start = len(client.publishes)
        if i % 2 == 0:
            sent = await document.replace(offset, offset, noop)
        else:
            sent = await document.replace(offset, offset + len(noop), "")
        version = document.version
        publish = await client.next_publish(start, document.path, "a DM201 keystroke", version)
        if ("DM201" in publish.codes) != (i % 2 == 1):
            raise BenchmarkError(f"keystroke {i} (a): unexpected diagnostics {publish.codes}")
        samples["run_python"].append(publish.time - sent)
        await asyncio.sleep(pause)

    # (c) one character typed into the first line (a comment) and deleted, then a request.
    end_of_line = document.text.index("\n")
    for i in range(count):
        await asyncio.sleep(pause)
        before = time.perf_counter()
        samples["code_action"].append(await document.code_action() - before)
        await asyncio.sleep(pause)
        if i % 2 == 0:
            sent = await document.replace(end_of_line, end_of_line, "x")
        else:
            sent = await document.replace(end_of_line, end_of_line + 1, "")
        samples["comment"].append(await document.code_action() - sent)

    # (b) the last migration of an app points at its grandparent (a second leaf: DM101 on it
    # and on its parent) and back at its parent.
    document = Document(client, plan.conflict)
    await document.open()
    await document.code_action()  # the didOpen is handled
    names = (plan.parent_name, plan.grandparent_name)
    for i in range(count):
        old, new = names[i % 2], names[(i + 1) % 2]
        offset = document.text.index(f'"{old}"') + 1
        start = len(client.publishes)
        sent = await document.replace(offset, offset + len(old), new)
        version = document.version
        edited = await client.next_publish(start, document.path, "a DM101 keystroke", version)
        parent = await client.next_publish(
            start, plan.conflict_parent, "the other leaf's DM101", any_version=True
        )
        conflict = i % 2 == 0
        if ("DM101" in edited.codes) != conflict or ("DM101" in parent.codes) != conflict:
            raise BenchmarkError(
                f"keystroke {i} (b): unexpected diagnostics {edited.codes} and {parent.codes}"
            )
        samples["dependency"].append(edited.time - sent)
        samples["dependency_all"].append(max(edited.time, parent.time) - sent)
        await asyncio.sleep(pause)

    # (d) a field typed into a model (pasted as one change) and removed: DM401 on its line.
    document = Document(client, plan.models)
    await document.open()
    await document.code_action()  # the didOpen is handled
    field = "\n    bench_extra = models.IntegerField(null=True)"
    offset = plan.models_offset
    for i in range(count):
        start = len(client.publishes)
        if i % 2 == 0:
            sent = await document.replace(offset, offset, field)
        else:
            sent = await document.replace(offset, offset + len(field), "")
        version = document.version
        publish = await client.next_publish(start, document.path, "a DM401 edit", version)
        if ("DM401" in publish.codes) != (i % 2 == 0):
            raise BenchmarkError(f"keystroke {i} (d): unexpected diagnostics {publish.codes}")
        samples["models"].append(publish.time - sent)
        await asyncio.sleep(pause)


NAVIGATION = {
    "definition_dependency": "definition on a dependency tuple",
    "definition_model": 'definition on model_name="..."',
    "references_migration": "references of class Migration",
    "references_model": "references of a models.py class",
    "hover_dependency": "hover on a dependency tuple",
    "hover_model": 'hover on model_name="..."',
    "completion_dependency": "completion of a migration name in dependencies",
    "completion_to": 'completion after to="',
    "code_lens": "code lens of a migration (dependents)",
    "document_symbols": "document symbols of a migration",
    "workspace_symbols": "workspace symbols, query app0",
    "show_graph": "djmig.showGraph (JSON of the whole graph) *",
}
"""Keys of the navigation rows and their labels; all but ``show_graph`` have the budget."""


def _offset_in(text: str, needle: str, inside: int) -> int:
    found = text.find(needle)
    if found < 0:
        raise BenchmarkError(f"no {needle!r} to navigate from")
    return found + inside


async def navigate(
    client: LspClient, session: Session, root: Path, plan: Plan, count: int, pause: float
) -> None:
    """Each navigation request ``count`` times, on files of the app the keystrokes edited."""
    samples: dict[str, list[float]] = {key: [] for key in NAVIGATION}
    session.navigation = samples
    app = plan.conflict.parent.parent
    with_model = next(
        (p for p in migration_files(app) if 'model_name="' in p.read_text()), None
    ) or next(p for p in root.glob("*/migrations/0*.py") if 'model_name="' in p.read_text())
    with_to = next(p for p in root.glob("*/migrations/0*.py") if 'to="' in p.read_text())
    models = app / "models.py"
    parent = plan.conflict_parent

    def at(path: Path, needle: str, inside: int) -> dict[str, Any]:
        text = path.read_text()
        document = Document(client, path)
        document.text = text
        return {"textDocument": {"uri": uri_of(path)},
                "position": document.position(_offset_in(text, needle, inside))}  # fmt: skip

    dependency = at(plan.conflict, f'("{app.name}", "', 3)
    name_start = at(plan.conflict, f'("{app.name}", "', len(f'("{app.name}", "'))
    model = at(with_model, 'model_name="', len('model_name="') + 1)
    to = at(with_to, 'to="', len('to="'))
    cls = at(parent, "class Migration", 7)
    model_class = at(models, "class ", 7)
    requests: dict[str, tuple[str, dict[str, Any]]] = {
        "definition_dependency": ("textDocument/definition", dependency),
        "definition_model": ("textDocument/definition", model),
        "references_migration": (
            "textDocument/references", {**cls, "context": {"includeDeclaration": False}}
        ),
        "references_model": (
            "textDocument/references", {**model_class, "context": {"includeDeclaration": True}}
        ),
        "hover_dependency": ("textDocument/hover", dependency),
        "hover_model": ("textDocument/hover", model),
        "completion_dependency": ("textDocument/completion", name_start),
        "completion_to": ("textDocument/completion", to),
        "code_lens": ("textDocument/codeLens", {"textDocument": {"uri": uri_of(parent)}}),
        "document_symbols": (
            "textDocument/documentSymbol", {"textDocument": {"uri": uri_of(plan.conflict)}}
        ),
        "workspace_symbols": ("workspace/symbol", {"query": "app0"}),
        "show_graph": (
            "workspace/executeCommand",
            {"command": "djmig.showGraph", "arguments": [uri_of(root), "json"]},
        ),
    }  # fmt: skip
    for key, (method, params) in requests.items():
        for _ in range(count):
            before = time.perf_counter()
            replied, answer = await client.request(method, params)
            samples[key].append(replied - before)
            if isinstance(answer, dict) and "items" in answer:
                answer = answer["items"]
            if not answer:
                raise BenchmarkError(f"{method} ({key}) answered {answer!r}")
            await asyncio.sleep(pause)


# ----------------------------------------------------------------------------------------------
# Rounds, report, command line.

STARTUP = {
    "initialize": "LSP spawn -> initialize reply",
    "first_publish": "LSP spawn -> first publishDiagnostics",
    "first_complete": "LSP spawn -> first complete diagnostics",
    "progress_begin": "LSP spawn -> $/progress begin",
    "progress_end": "LSP spawn -> $/progress end",
    "django_loader": "Django MigrationLoader(None) only",
    "django_total": "Django import + setup() + MigrationLoader",
    "django_makemigrations": "Django makemigrations --check --dry-run (wall)",
}
MEMORY = {
    "rss_indexed": "VmRSS after indexing",
    "hwm_indexed": "VmHWM after indexing",
    "rss_after": "VmRSS after the keystrokes",
    "hwm_after": "VmHWM after the keystrokes",
}
RATIOS = (
    ("first_complete", "django_loader", "first complete diagnostics / MigrationLoader"),
    ("first_complete", "django_total", "first complete diagnostics / import + setup + loader"),
    ("models", "django_makemigrations", "models.py edit p95 / makemigrations --check"),
)
PUBLISHING = ("run_python", "dependency", "dependency_all", "models")
"""Keystroke rows timed to a ``publishDiagnostics``: the ones the p95 budget is about."""


@dataclass
class Setup:
    runner: Runner
    root: Path  # the copy with the planted problems
    plan: Plan
    expected: dict[str, list[str]]
    logs: Path
    cache: str = "cold"
    """``cold``: every session starts with an empty cache directory; ``warm``: with the
    parse cache and findings snapshot of the (unrecorded) first session."""


def server_argv(python: str, profile: Path | None = None) -> list[str]:
    if profile is None:
        return [python, "-m", "djmig", "serve"]
    return [python, "-c", PROFILED_SERVER, str(profile)]


def session(setup: Setup, keystrokes: int, pause: float, profile: Path | None = None) -> Session:
    argv = server_argv(setup.runner.python, profile)
    with (
        (setup.logs / "server-stderr.txt").open("a") as stderr,
        tempfile.TemporaryDirectory(prefix="djmig-bench-lsp-cache-") as empty,
    ):
        cache_dir = Path(empty) if setup.cache == "cold" else None
        coroutine = run_session(
            argv,
            setup.runner.env(djmig=True, cache_dir=cache_dir),
            setup.root,
            setup.plan,
            setup.expected,
            keystrokes,
            pause,
            stderr,
        )
        return asyncio.run(coroutine)


def benchmark(
    setup: Setup, runs: int, keystrokes: int, pause: float, makemigrations_runs: int = 1
) -> dict[str, Any]:
    m = {key: Measurement(label) for key, label in STARTUP.items()}
    mem: dict[str, list[float]] = {key: [] for key in MEMORY}
    typed = {key: Latencies(label) for key, label in KEYSTROKES.items()}
    navigation = {key: Latencies(label) for key, label in NAVIGATION.items()}
    sessions: list[dict[str, Any]] = []
    facts: dict[str, Any] = {"unexpected_publishes": [], "log_messages": [], "exit_codes": []}
    for round_number in range(runs + 1):
        record = round_number > 0
        loader = setup.runner.django_loader()
        result = session(setup, keystrokes if record else 0, pause)
        facts["django"] = {k: loader[k] for k in ("nodes", "leaves", "django")}
        facts["server_requests"] = result.server_requests
        facts["exit_codes"].append(result.exit_code)
        for name in result.unexpected:
            if name not in facts["unexpected_publishes"]:
                facts["unexpected_publishes"].append(name)
        facts["log_messages"] += [msg for msg in result.log_messages if msg]
        if record:
            m["django_loader"].samples.append(loader["loader"])
            m["django_total"].samples.append(loader["total"])
            if round_number <= makemigrations_runs:
                m["django_makemigrations"].samples.append(setup.runner.makemigrations_check())
            for key in STARTUP:
                if not key.startswith("django"):
                    m[key].samples.append(getattr(result, key))
            for key, values in (("indexed", result.memory_indexed), ("after", result.memory_after)):
                if "VmRSS" in values:
                    mem[f"rss_{key}"].append(values["VmRSS"])
                    mem[f"hwm_{key}"].append(values["VmHWM"])
            for key, samples in result.keystrokes.items():
                typed[key].samples += samples
            for key, samples in result.navigation.items():
                navigation[key].samples += samples
            sessions.append(
                {
                    "first_complete": result.first_complete,
                    "p95": {k: percentile(v, 95) for k, v in result.keystrokes.items()},
                    "other_cpu": result.other_cpu,
                }
            )
        print(f"round {round_number}/{runs} done", file=sys.stderr)
    return {
        "measurements": {k: v for k, v in m.items() if v.samples},
        "keystrokes": {k: v for k, v in typed.items() if v.samples},
        "navigation": {k: v for k, v in navigation.items() if v.samples},
        "memory": {k: v for k, v in mem.items() if v},
        "sessions": sessions,
        "facts": facts,
    }


def verdicts(result: dict[str, Any]) -> dict[str, Any]:
    """Each budget of the issue: the value compared and whether it is met."""
    out: dict[str, Any] = {}
    first = result["measurements"]["first_complete"].median
    out["first_complete_median_s"] = {
        "value": first,
        "budget": FIRST_DIAGNOSTICS_BUDGET,
        "pass": first <= FIRST_DIAGNOSTICS_BUDGET,
    }
    for key in PUBLISHING:
        if key in result["keystrokes"]:
            p95 = percentile(result["keystrokes"][key].samples, 95)
            budget = MODELS_P95_BUDGET if key == "models" else KEYSTROKE_P95_BUDGET
            out[f"{key}_p95_s"] = {"value": p95, "budget": budget, "pass": p95 <= budget}
    navigation = [
        percentile(lat.samples, 95) for key, lat in result["navigation"].items()
        if key != "show_graph"
    ]  # fmt: skip
    if navigation:
        out["navigation_p95_max_s"] = {
            "value": max(navigation),
            "budget": NAVIGATION_P95_BUDGET,
            "pass": max(navigation) <= NAVIGATION_P95_BUDGET,
        }
    peaks = result["memory"].get("hwm_after") or result["memory"].get("hwm_indexed")
    if peaks:
        out["vmhwm_max_mb"] = {
            "value": max(peaks),
            "budget": RSS_BUDGET_MB,
            "pass": max(peaks) <= RSS_BUDGET_MB,
        }
    return out


def ratios(measured: dict[str, Measurement], typed: dict[str, Any]) -> dict[str, float]:
    out = {}
    for num, den, label in RATIOS:
        if num in typed and den in measured:
            out[label] = percentile(typed[num].samples, 95) / measured[den].median
        elif num in measured and den in measured:
            out[label] = measured[num].median / measured[den].median
    return out


def report(result: dict[str, Any], workspace: dict[str, Any], load: list[float]) -> str:
    measured: dict[str, Measurement] = result["measurements"]
    facts = result["facts"]
    lines = [
        f"workspace: {workspace['root']} ({workspace['apps']} apps, "
        f"{workspace['migrations']} migration files, {workspace['files_with_findings']} "
        f"with findings after planting), djmig cache {workspace['cache']}",
        f"python {platform.python_version()}, Django {facts['django']['django']}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.2f} before, {load[1]:.2f} after",
        "",
        f"{'measurement':<54} {'runs':>4} {'median':>9} {'min':>9}",
    ]
    for m in measured.values():
        lines.append(f"{m.label:<54} {len(m.samples):>4} {m.median:>8.3f}s {m.best:>8.3f}s")
    for section, title, footnote in (
        ("keystrokes", "keystroke -> publishDiagnostics",
         "no publish: timed to the reply of a codeAction request sent after it"),
        ("navigation", "navigation request -> reply",
         "not a request the 50 ms budget is about: the whole graph as JSON"),
    ):  # fmt: skip
        if not result[section]:
            continue
        lines += ["", f"{title:<54} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8}"]
        for lat in result[section].values():
            j = lat.as_json()
            lines.append(
                f"{lat.label:<54} {j['n']:>4} {j['p50'] * 1e3:>6.1f}ms "
                f"{j['p95'] * 1e3:>6.1f}ms {j['max'] * 1e3:>6.1f}ms"
            )
        lines.append(f"  * {footnote}")
    if result["memory"]:
        lines += ["", f"{'server memory':<54} {'runs':>4} {'median':>9} {'max':>9}"]
        for key, values in result["memory"].items():
            lines.append(
                f"{MEMORY[key]:<54} {len(values):>4} {statistics.median(values):>7.1f}MB "
                f"{max(values):>7.1f}MB"
            )
    lines += [
        "",
        "per session: first complete diagnostics, keystroke p95 (a) (b) (c) (d), CPU of others",
    ]
    for number, one in enumerate(result["sessions"], 1):
        p95 = "  ".join(
            f"{one['p95'][key] * 1e3:5.1f}ms"
            for key in ("run_python", "dependency", "comment", "models")
            if key in one["p95"]
        )  # fmt: skip
        others = "-" if one["other_cpu"] is None else f"{one['other_cpu']:.2f} cores"
        lines.append(f"  {number:>2}  {one['first_complete']:6.3f}s  {p95}  {others}")
    lines += ["", "ratios of medians (djmig / Django):"]
    lines += [f"  {label:<56} {value:>8.3g}" for label, value in result["ratios"].items()]
    lines += ["", "budgets (issues 3, 6 and 9):"]
    names = {
        "first_complete_median_s": "first complete diagnostics, median",
        "run_python_p95_s": "keystroke (a) p95",
        "dependency_p95_s": "keystroke (b) p95, edited file",
        "dependency_all_p95_s": "keystroke (b) p95, both files",
        "models_p95_s": "models.py edit (d) p95 (issue 6)",
        "vmhwm_max_mb": "server peak memory (VmHWM), max",
        "navigation_p95_max_s": "navigation requests, slowest p95",
    }
    for key, v in result["verdicts"].items():
        unit, scale, digits = ("ms", 1e3, 1)
        if key.endswith("_mb"):
            unit, scale, digits = ("MB", 1.0, 1)
        if key == "first_complete_median_s":
            unit, scale, digits = ("s", 1.0, 3)
        verdict = "pass" if v["pass"] else "MISS"
        lines.append(
            f"  {names[key]:<42} {v['value'] * scale:>8.{digits}f} {unit:<2} <= "
            f"{v['budget'] * scale:g} {unit}: {verdict}"
        )
    lines.append(
        f"Django graph: {facts['django']['nodes']} nodes, {facts['django']['leaves']} leaves"
    )
    if facts["unexpected_publishes"]:
        lines.append(f"unexpected diagnostics: {facts['unexpected_publishes']}")
    if facts["log_messages"]:
        lines.append(f"server messages: {facts['log_messages'][:5]}")
    if any(code != 0 for code in facts["exit_codes"]):
        lines.append(f"server exit codes: {facts['exit_codes']}")
    return "\n".join(lines)


def profile_report(directory: Path, top: int) -> str:
    """The functions with the most cumulative time, per phase of the profiled session."""
    lines: list[str] = []
    phases = (
        ("index", "Workspace.load (discovery excluded), worker thread"),
        ("refresh", "DjmigServer.refresh: analyze + publish, outside edits"),
        ("edits", "_document_changed: didOpen/didChange handling (includes refresh)"),
    )
    for name, title in phases:
        path = directory / f"{name}.pstats"
        if not path.exists():
            continue
        stats = pstats.Stats(str(path))
        entries = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)  # type: ignore[attr-defined]
        total = stats.total_tt  # type: ignore[attr-defined]
        lines += ["", f"profile {name}: {title}, {total:.3f} s of own time in total"]
        lines.append(f"  {'cumulative':>10} {'own':>8} {'calls':>8}  function")
        for (filename, line, function), (_, calls, own, cumulative, _) in entries[:top]:
            where = f"{Path(filename).name}:{line}({function})" if line else function
            lines.append(f"  {cumulative:>9.3f}s {own:>7.3f}s {calls:>8}  {where}")
    return "\n".join(lines)


def age(root: Path, seconds: int = 3600) -> None:
    """Date every file back: djmig does not cache files modified in the last seconds."""
    moment = time.time_ns() - seconds * 1_000_000_000
    for path in root.rglob("*.py"):
        os.utime(path, ns=(moment, moment))


def prepare(root: Path, copy: Path) -> Plan:
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return plant(copy)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--migrations", type=int, default=100, help="migrations per app")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workspace",
        type=Path,
        help="use this workspace if it has a manage.py, else generate into it "
        "(default: a temporary directory); the problems are planted in a copy",
    )
    parser.add_argument("--runs", type=int, default=3, help="recorded sessions (default 3)")
    parser.add_argument(
        "--keystrokes", type=int, default=100, help="keystrokes of each kind per session"
    )
    parser.add_argument(
        "--pause", type=float, default=0.02, help="seconds between keystrokes (default 0.02)"
    )
    parser.add_argument(
        "--makemigrations-runs",
        type=int,
        default=1,
        help="recorded runs of makemigrations --check, in the first rounds (default 1)",
    )
    parser.add_argument("--python", default=None, help="interpreter (default: the repo's .venv)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--cache",
        choices=("cold", "warm"),
        default="cold",
        help="cold (default): each session starts with an empty djmig cache; warm: with the "
        "cache the warm-up session wrote (the workspace copy's files are aged for it)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="one more (unrecorded) session with the server under cProfile; pstats into DIR",
    )
    parser.add_argument("--profile-top", type=int, default=15, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.keystrokes < 2 or args.keystrokes % 2:
        parser.error("--keystrokes must be even and at least 2")
    python = args.python or str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))

    load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="djmig-bench-lsp-") as tmp:
        root = (args.workspace or Path(tmp) / "workspace").resolve()
        generated = not (root / "manage.py").is_file()
        if generated:
            print(f"generating {args.apps} x {args.migrations} into {root}", file=sys.stderr)
            try:
                generate(root, args.apps, args.migrations, args.seed)
            except (FileExistsError, ValueError) as exc:
                parser.error(str(exc))
        copy = Path(tmp, "lsp-workspace").resolve()
        logs = Path(tmp)
        try:
            plan = prepare(root, copy)
            if args.cache == "warm":
                age(copy)
            runner = Runner(python, root, settings_module(root), cache_dir=logs / "cache")
            runner.compile_bytecode()  # as ``pip install`` does (``bench_check``'s docstring)
            engine = Runner(python, copy, runner.settings_module, cache_dir=logs / "engine")
            expected = expected_findings(engine, copy, plan)
            setup = Setup(runner, copy, plan, expected, logs, args.cache)
            result = benchmark(
                setup, args.runs, args.keystrokes, args.pause, args.makemigrations_runs
            )
            profiled = ""
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
                session(setup, args.keystrokes, args.pause, args.profile.resolve())
                profiled = profile_report(args.profile, args.profile_top)
        except (BenchmarkError, asyncio.TimeoutError) as exc:
            print(f"benchmark failed: {exc or type(exc).__name__}", file=sys.stderr)
            stderr = logs / "server-stderr.txt"
            if stderr.exists():
                print(stderr.read_text()[-4000:], file=sys.stderr)
            return 1
        workspace = {
            "root": str(root),
            "generated": generated,
            "apps": len(apps_of(root)),
            "migrations": sum(1 for _ in root.glob("*/migrations/[0-9]*.py")),
            "seed": args.seed if generated else None,
            "files_with_findings": len(expected),
            "planted": plan.as_json(copy),
            "cache": args.cache,
        }
        load.append(os.getloadavg()[0])
    result["ratios"] = ratios(result["measurements"], result["keystrokes"])
    result["verdicts"] = verdicts(result)
    print(report(result, workspace, load))
    if profiled:
        print(profiled)
    if args.json:
        payload = {
            "workspace": workspace,
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "load_average_1min": {"before": load[0], "after": load[1]},
            },
            "settings": {"runs": args.runs, "keystrokes": args.keystrokes, "pause": args.pause},
            "measurements": {k: v.as_json() for k, v in result["measurements"].items()},
            "keystrokes": {k: v.as_json() for k, v in result["keystrokes"].items()},
            "navigation": {k: v.as_json() for k, v in result["navigation"].items()},
            "memory_mb": result["memory"],
            "ratios": result["ratios"],
            "sessions": result["sessions"],
            "budgets": result["verdicts"],
            "expected_diagnostics": {
                str(Path(p).relative_to(copy)): codes for p, codes in expected.items()
            },
            "facts": result["facts"],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
