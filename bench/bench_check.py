"""Cold analysis of djmig side by side with Django on one synthetic workspace.

    python bench/bench_check.py [--apps 100 --migrations 100] [--workspace DIR] [--json PATH]

Every sample is a fresh subprocess of the same interpreter (the repository's ``.venv`` when it
exists). Rounds are interleaved, after one unrecorded warm-up round, so ``.pyc`` files and the
page cache are warm for both tools alike:

* Django: ``django.setup()`` + ``MigrationLoader(None)`` (timed inside the process: the loader
  alone, and everything from ``import django``), and ``manage.py makemigrations --check
  --dry-run`` (wall time, fewer rounds: it is slow);
* djmig: ``analyze_workspace(root)`` (timed inside the process, wall and CPU, the import of
  ``djmig.analysis`` reported separately) with the on-disk cache off, cold (an empty cache
  directory: the run writes it), warm (the cache and findings snapshot of an earlier run) and
  warm with one migration touched (its mtime changed: the exact snapshot misses, the start
  resumes from it and re-reads that file) or one migration added (a ``git pull``); and
  ``python -m djmig check ROOT --exit-zero`` (wall, warm);
* for scale: ``ast.parse`` of every migration file (the floor of any ``ast`` indexer) and the
  start-up of a bare interpreter.

djmig runs from ``server/`` through ``PYTHONPATH``; it need not be installed. Its bytecode is
compiled first (``compile_bytecode``), as ``pip install`` compiles it, and so is the code attrs
generates for lsprotocol, which the language server's first start writes: where
``PYTHONDONTWRITEBYTECODE`` is set (the benchmark machine sets it), the warm-up round would
otherwise leave no ``.pyc`` behind, and every djmig process would compile its modules from
source (~0.25 s for the language server), while Django's come compiled from its install.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generate import generate

REPO = Path(__file__).resolve().parent.parent
SERVER = REPO / "server"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
COLD_INDEX_BUDGET = 1.0
"""SPEC.md "Budgets": cold index of 100 apps x 100 migrations, seconds."""
WARM_START_BUDGET = 0.3
"""SPEC.md "Budgets": warm start from the on-disk cache, seconds."""

DJANGO_LOADER = """
import json, os, sys, time
start = time.perf_counter()
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[1]
import django
django.setup()
from django.db.migrations.loader import MigrationLoader
ready = time.perf_counter()
loader = MigrationLoader(None)
done = time.perf_counter()
print(json.dumps({
    "setup": ready - start,
    "loader": done - ready,
    "total": done - start,
    "nodes": len(loader.graph.nodes),
    "leaves": len(loader.graph.leaf_nodes()),
    "conflicts": sorted(loader.detect_conflicts()),
    "django": django.get_version(),
}))
"""

ADDED_MIGRATION = """from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ({app!r}, {leaf!r}),
    ]

    operations = []
"""

DJMIG_ANALYZE = """
import collections, json, sys, time
from pathlib import Path
start = time.perf_counter()
from djmig.analysis import analyze_workspace
from djmig.config import Config
imported = time.perf_counter()
cpu = time.process_time()
analysis = analyze_workspace(Path(sys.argv[1]), Config(cache=sys.argv[2] != "off"))
done = time.perf_counter()
print(json.dumps({
    "import": imported - start,
    "analyze": done - imported,
    "cpu": time.process_time() - cpu,
    "leaves": len(analysis.graph.leaf_nodes()),
    "findings": dict(collections.Counter(f.code for f in analysis.findings)),
    "imports_django": "django" in sys.modules,
    "timings": getattr(analysis, "timings", {}),
}))
"""

AST_FLOOR = """
import ast, json, sys, time
from pathlib import Path
start = time.perf_counter()
files = sorted(Path(sys.argv[1]).glob("*/migrations/[0-9]*.py"))
size = 0
for path in files:
    source = path.read_bytes()
    ast.parse(source, str(path))
    size += len(source)
print(json.dumps({"parse": time.perf_counter() - start, "files": len(files), "bytes": size}))
"""

PYTHON_STARTUP = "pass"


@dataclass
class Measurement:
    label: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        return min(self.samples)

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "samples": self.samples,
            "median": self.median,
            "min": self.best,
        }


class BenchmarkError(RuntimeError):
    pass


@dataclass
class Runner:
    python: str
    root: Path
    settings_module: str
    cache_dir: Path | None = None
    """Where djmig's caches go (``DJMIG_CACHE_DIR``); a fresh directory when None."""
    _touched: itertools.cycle[int] = field(default_factory=lambda: itertools.cycle((1, 2)))

    def compile_bytecode(self) -> None:
        """Write the ``.pyc`` files of ``server/djmig`` (``__pycache__``, git-ignored), and
        the code attrs compiles for lsprotocol, which the language server's first start
        writes next to them (``djmig/lsp/code_cache.py``)."""
        env = self.env(djmig=True)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for argv in (
            [self.python, "-m", "compileall", "-q", str(SERVER / "djmig")],
            [self.python, "-m", "djmig.lsp.code_cache"],
        ):
            proc = subprocess.run(argv, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise BenchmarkError(f"{' '.join(argv)} failed:\n{proc.stdout}{proc.stderr}")

    def env(self, djmig: bool, cache_dir: Path | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if djmig:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SERVER), env.get("PYTHONPATH")]))
            env["DJMIG_CACHE_DIR"] = str(cache_dir or self.warm_cache)
        return env

    @property
    def warm_cache(self) -> Path:
        if self.cache_dir is None:
            self.cache_dir = Path(tempfile.mkdtemp(prefix="djmig-bench-cache-"))
        return self.cache_dir

    def run(
        self, argv: Sequence[str], djmig: bool = False, cache_dir: Path | None = None
    ) -> tuple[float, str]:
        """Run ``argv`` in the workspace; return its wall time and stdout."""
        start = time.perf_counter()
        proc = subprocess.run(
            list(argv),
            cwd=self.root,
            env=self.env(djmig, cache_dir),
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise BenchmarkError(
                f"{' '.join(argv)} exited with {proc.returncode}:\n{proc.stdout}{proc.stderr}"
            )
        return wall, proc.stdout

    def snippet(
        self, code: str, *args: str, djmig: bool = False, cache_dir: Path | None = None
    ) -> dict[str, Any]:
        _, out = self.run([self.python, "-c", code, *args], djmig=djmig, cache_dir=cache_dir)
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result

    def django_loader(self) -> dict[str, Any]:
        result = self.snippet(DJANGO_LOADER, self.settings_module)
        if result["conflicts"]:
            raise BenchmarkError(f"Django reports conflicts in {result['conflicts']}")
        return result

    def makemigrations_check(self) -> float:
        wall, _ = self.run([self.python, "manage.py", "makemigrations", "--check", "--dry-run"])
        return wall

    def djmig_analyze(self, cache: str = "off") -> dict[str, Any]:
        """``cache``: ``off``; ``cold`` (an empty cache directory); ``warm`` (the runner's
        cache directory); ``touched`` (the same, after changing the mtime of one file)."""
        if cache == "touched":
            first = min(self.root.glob("*/migrations/0001_*.py"))
            moment = 1_000_000_000 * (int(time.time()) - 3600 * next(self._touched))
            os.utime(first, ns=(moment, moment))
        if cache == "added":
            return self._with_added_migration()
        if cache == "cold":
            with tempfile.TemporaryDirectory(prefix="djmig-bench-cold-") as empty:
                return self.snippet(DJMIG_ANALYZE, str(self.root), "on", djmig=True,
                                    cache_dir=Path(empty))  # fmt: skip
        return self.snippet(DJMIG_ANALYZE, str(self.root), cache, djmig=True)

    def _with_added_migration(self) -> dict[str, Any]:
        """``warm`` after a ``git pull`` brought one new migration (a leaf of the first
        app, without operations: the findings stay the same); the file is removed after."""
        first = min(self.root.glob("*/migrations/0001_*.py"))
        leaf = max(first.parent.glob("0*.py")).stem
        added = first.parent / "0999_bench_added.py"
        added.write_text(ADDED_MIGRATION.format(app=first.parent.parent.name, leaf=leaf))
        moment = 1_000_000_000 * (int(time.time()) - 1800)
        os.utime(added, ns=(moment, moment))
        try:
            return self.snippet(DJMIG_ANALYZE, str(self.root), "on", djmig=True)
        finally:
            added.unlink()

    def djmig_check(self) -> float:
        argv = [self.python, "-m", "djmig", "check", str(self.root), "--exit-zero"]
        wall, _ = self.run(argv, djmig=True)
        return wall

    def ast_floor(self) -> dict[str, Any]:
        return self.snippet(AST_FLOOR, str(self.root))

    def python_startup(self) -> float:
        wall, _ = self.run([self.python, "-c", PYTHON_STARTUP])
        return wall


def settings_module(root: Path) -> str:
    """The ``DJANGO_SETTINGS_MODULE`` that ``manage.py`` sets."""
    manage = root / "manage.py"
    if not manage.is_file():
        raise BenchmarkError(f"{root} has no manage.py")
    match = re.search(r"DJANGO_SETTINGS_MODULE['\"],\s*['\"]([\w.]+)['\"]", manage.read_text())
    if match is None:
        raise BenchmarkError(f"{manage} does not set DJANGO_SETTINGS_MODULE")
    return match.group(1)


def benchmark(runner: Runner, runs: int, makemigrations_runs: int, djmig: bool) -> dict[str, Any]:
    m: dict[str, Measurement] = {
        key: Measurement(label)
        for key, label in (
            ("python", "python -c pass (wall)"),
            ("django_total", "Django import + setup() + MigrationLoader"),
            ("django_loader", "Django MigrationLoader(None) only"),
            ("makemigrations", "Django makemigrations --check --dry-run (wall)"),
            ("ast_floor", "ast.parse of every migration file (floor)"),
            ("djmig_import", "djmig import djmig.analysis"),
            ("djmig_analyze", "djmig analyze_workspace (cold, cache off)"),
            ("djmig_analyze_cpu", "djmig analyze_workspace (cold, cache off), CPU"),
            ("djmig_index", "  of it: discover + parse + graph (the index)"),
            ("djmig_rules", "  of it: the rules"),
            ("djmig_cold", "djmig analyze_workspace (cold, writing the cache)"),
            ("djmig_warm", "djmig analyze_workspace (warm: findings snapshot)"),
            ("djmig_warm_cpu", "djmig analyze_workspace (warm: findings snapshot), CPU"),
            ("djmig_touched", "djmig analyze_workspace (warm, one file touched)"),
            ("djmig_touched_cpu", "djmig analyze_workspace (warm, one file touched), CPU"),
            ("djmig_added", "djmig analyze_workspace (warm, one migration added)"),
            ("djmig_check", "djmig check --exit-zero (wall, warm)"),
        )
    }
    facts: dict[str, Any] = {}
    for round_number in range(max(runs, makemigrations_runs) + 1):
        record = round_number > 0
        if round_number <= runs:
            startup = runner.python_startup()
            loader = runner.django_loader()
            floor = runner.ast_floor()
            facts["files"] = {k: floor[k] for k in ("files", "bytes")}
            facts["django"] = {k: loader[k] for k in ("nodes", "leaves", "django")}
            if record:
                m["python"].samples.append(startup)
                m["django_total"].samples.append(loader["total"])
                m["django_loader"].samples.append(loader["loader"])
                m["ast_floor"].samples.append(floor["parse"])
            if djmig:
                analysis = runner.djmig_analyze()
                cold = runner.djmig_analyze("cold")
                if round_number == 0:
                    runner.djmig_analyze("warm")  # fills the runner's cache directory
                warm = runner.djmig_analyze("warm")
                touched = runner.djmig_analyze("touched")
                added = runner.djmig_analyze("added")
                runner.djmig_analyze("warm")  # the snapshot without the added file again
                check = runner.djmig_check()
                keys = ("leaves", "findings", "imports_django", "timings")
                facts["djmig"] = {k: analysis[k] for k in keys}
                facts["djmig_warm"] = {k: warm[k] for k in keys}
                facts["djmig_touched"] = {k: touched[k] for k in keys}
                for run in (cold, warm, touched, added):
                    if run["findings"] != analysis["findings"]:
                        raise BenchmarkError("djmig's findings differ with the cache")
                if record:
                    m["djmig_import"].samples.append(analysis["import"])
                    m["djmig_analyze"].samples.append(analysis["analyze"])
                    m["djmig_analyze_cpu"].samples.append(analysis["cpu"])
                    timings = analysis["timings"]
                    m["djmig_index"].samples.append(
                        sum(timings.get(k, 0.0) for k in ("discover", "parse", "graph"))
                    )
                    m["djmig_rules"].samples.append(timings.get("rules", 0.0))
                    m["djmig_cold"].samples.append(cold["analyze"])
                    m["djmig_warm"].samples.append(warm["analyze"])
                    m["djmig_warm_cpu"].samples.append(warm["cpu"])
                    m["djmig_touched"].samples.append(touched["analyze"])
                    m["djmig_touched_cpu"].samples.append(touched["cpu"])
                    m["djmig_added"].samples.append(added["analyze"])
                    m["djmig_check"].samples.append(check)
        if round_number <= makemigrations_runs:
            wall = runner.makemigrations_check()
            if record:
                m["makemigrations"].samples.append(wall)
        print(f"round {round_number}/{max(runs, makemigrations_runs)} done", file=sys.stderr)
    measured = {key: value for key, value in m.items() if value.samples}
    return {"measurements": measured, "facts": facts, "ratios": ratios(measured)}


RATIOS = (
    ("djmig_analyze", "django_loader", "analyze_workspace / MigrationLoader"),
    ("djmig_analyze", "django_total", "analyze_workspace / import + setup + MigrationLoader"),
    ("djmig_check", "makemigrations", "djmig check / makemigrations --check (wall)"),
)


def ratios(measured: dict[str, Measurement]) -> dict[str, float]:
    return {
        label: measured[num].median / measured[den].median
        for num, den, label in RATIOS
        if num in measured and den in measured
    }


def report(result: dict[str, Any], workspace: dict[str, Any]) -> str:
    measured: dict[str, Measurement] = result["measurements"]
    lines = [
        f"workspace: {workspace['root']} ({workspace['apps']} apps, "
        f"{workspace['migrations']} migration files)",
        f"python {platform.python_version()}, Django {result['facts']['django']['django']}, "
        f"{os.cpu_count()} CPUs",
        "",
        f"{'measurement':<50} {'runs':>4} {'median':>9} {'min':>9}",
    ]
    for m in measured.values():
        lines.append(f"{m.label:<50} {len(m.samples):>4} {m.median:>8.3f}s {m.best:>8.3f}s")
    if result["ratios"]:
        lines += ["", "ratios of medians (djmig / Django):"]
        lines += [f"  {label:<52} {value:>6.2f}" for label, value in result["ratios"].items()]
    if "djmig_analyze" in measured:
        median = measured["djmig_analyze"].median
        verdict = "within" if median <= COLD_INDEX_BUDGET else "OVER"
        lines += [
            "",
            f"cold index budget {COLD_INDEX_BUDGET:.1f} s: analyze_workspace median "
            f"{median:.3f} s ({verdict})",
        ]
        if "djmig_index" in measured:
            index = measured["djmig_index"].median
            verdict = "within" if index <= COLD_INDEX_BUDGET else "OVER"
            lines.append(
                f"  the index alone (discover + parse + graph, no rules) median {index:.3f} s"
                f" ({verdict})"
            )
    if "djmig_warm" in measured:
        median = measured["djmig_warm"].median
        verdict = "within" if median <= WARM_START_BUDGET else "OVER"
        lines += [
            f"warm start budget {WARM_START_BUDGET:.1f} s: analyze_workspace (warm) median "
            f"{median:.3f} s ({verdict})",
            f"djmig findings: {result['facts']['djmig']['findings']}",
            f"djmig imported django: {result['facts']['djmig']['imports_django']}",
        ]
    django_facts = result["facts"]["django"]
    lines.append(f"Django graph: {django_facts['nodes']} nodes, {django_facts['leaves']} leaves")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--migrations", type=int, default=100, help="migrations per app")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workspace",
        type=Path,
        help="use this workspace if it has a manage.py, else generate into it "
        "(default: a temporary directory)",
    )
    parser.add_argument("--runs", type=int, default=5, help="recorded rounds (default 5)")
    parser.add_argument(
        "--makemigrations-runs",
        type=int,
        default=3,
        help="recorded rounds of makemigrations --check (default 3, 0 to skip)",
    )
    parser.add_argument("--skip-djmig", action="store_true", help="measure Django only")
    parser.add_argument("--python", default=None, help="interpreter (default: the repo's .venv)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    python = args.python or str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))

    with tempfile.TemporaryDirectory(prefix="djmig-bench-") as tmp:
        root = (args.workspace or Path(tmp) / "workspace").resolve()
        generated = not (root / "manage.py").is_file()
        if generated:
            print(f"generating {args.apps} x {args.migrations} into {root}", file=sys.stderr)
            try:
                generate(root, args.apps, args.migrations, args.seed)
            except (FileExistsError, ValueError) as exc:
                parser.error(str(exc))
        migration_files = sum(1 for _ in root.glob("*/migrations/[0-9]*.py"))
        workspace = {
            "root": str(root),
            "generated": generated,
            "apps": sum(1 for _ in root.glob("*/migrations/__init__.py")),
            "migrations": migration_files,
            "seed": args.seed if generated else None,
        }
        runner = None
        try:
            runner = Runner(python, root, settings_module(root))
            runner.compile_bytecode()
            result = benchmark(runner, args.runs, args.makemigrations_runs, not args.skip_djmig)
        except BenchmarkError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 1
        finally:
            if runner is not None and runner.cache_dir is not None:
                shutil.rmtree(runner.cache_dir, ignore_errors=True)
    print(report(result, workspace))
    if args.json:
        payload = {
            "workspace": workspace,
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
            },
            "measurements": {k: v.as_json() for k, v in result["measurements"].items()},
            "ratios": result["ratios"],
            "facts": result["facts"],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
