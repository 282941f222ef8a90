"""Command line: ``djmig check | graph | rules | explain | serve``.

Exit codes of ``check``: 0 nothing at error level, 1 findings at error level, 2 usage or
internal error.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from djmig import __version__

if TYPE_CHECKING:
    from djmig.analysis import Analysis
    from djmig.rules import Finding, Rule

# The analysis, the rules and the exports are imported by the commands that use them:
# ``djmig serve`` starts parsing before it imports any of them (``lsp/early.py``).

logger = logging.getLogger("djmig")

#: ``output.FORMATS`` and ``export.FORMATS`` (tests/test_cli.py checks they agree).
CHECK_FORMATS = ("github", "json", "sarif", "text")
GRAPH_FORMATS = ("dot", "html", "json", "mermaid", "svg")


def _codes(text: str) -> list[str]:
    from djmig.rules import RULES

    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = [
        c for c in codes if not any(r.code.startswith(c) for r in RULES) or not c.startswith("DM")
    ]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown rule code(s): {', '.join(unknown)}")
    return codes


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="djmig", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"djmig {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="report migration problems")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument("--format", choices=CHECK_FORMATS, default="text")
    check.add_argument("--select", type=_codes, help="only these codes (comma-separated)")
    check.add_argument("--ignore", type=_codes, help="skip these codes (comma-separated)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with errors")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument(
        "--database",
        metavar="URL",
        help="read the applied migrations from this database, read-only (DM501-DM503): "
        "sqlite:///db.sqlite3, postgresql://user@host/name, or `auto` for "
        "[tool.djmig] database, $DATABASE_URL, then DATABASES['default']",
    )
    check.add_argument("--verbose", "-v", action="store_true", help="log to stderr")

    graph = commands.add_parser("graph", help="export the migration graph")
    graph.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    graph.add_argument("--format", choices=GRAPH_FORMATS, default="json")
    graph.add_argument("--app", metavar="LABEL", help="only this app and its edges")

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "markdown"), default="text")
    explain = commands.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("code", metavar="CODE")

    serve = commands.add_parser("serve", help="run the language server")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP address")
    serve.add_argument("--verbose", "-v", action="store_true", help="debug logging to stderr")
    return parser


def _analyze(path: Path, args: argparse.Namespace) -> tuple[Analysis, list[str]]:
    """The analysis of ``path``'s workspace; the caller writes its cache (after output)."""
    from djmig.analysis import analyze_workspace, find_root
    from djmig.config import load_pyproject, merge

    root = find_root(path)
    config, errors = load_pyproject(root)
    overrides = {k: getattr(args, k) for k in ("select", "ignore") if getattr(args, k, None)}
    database = getattr(args, "database", None)
    if database and database != "auto":
        overrides["database"] = database
    config, more = merge(config, overrides)
    read = bool(database or config.database)
    return analyze_workspace(root, config, database=read, save_cache=False), errors + more


def run_check(args: argparse.Namespace) -> int:
    from djmig import output
    from djmig.rules import Finding, Severity

    findings: list[Finding] = []
    analyses: list[Analysis] = []
    for path in args.paths:
        if not path.exists():
            print(f"djmig: error: {path}: no such file or directory", file=sys.stderr)
            return 2
        analysis, errors = _analyze(path, args)
        if args.fix:
            from djmig.fixes.apply import apply_safe_fixes

            fixed = apply_safe_fixes(analysis)
            if fixed:
                print(f"Fixed {fixed} problem{'s' if fixed != 1 else ''}.", file=sys.stderr)
                analysis, errors = _analyze(path, args)
        for message in errors + [str(n) for n in analysis.notices]:
            print(f"djmig: note: {message}", file=sys.stderr)
        wanted = path.resolve()
        findings += [f for f in analysis.findings if wanted in (f.path, *f.path.parents)]
        analyses.append(analysis)
    findings.sort(key=Finding.sort_key)
    text = output.FORMATS[args.format](findings)
    if text:
        print(text, flush=True)
    for analysis in analyses:
        _save_cache(analysis)
    if args.exit_zero:
        return 0
    return 1 if any(f.severity == Severity.ERROR for f in findings) else 0


def run_graph(args: argparse.Namespace) -> int:
    from djmig import export

    if not args.path.exists():
        print(f"djmig: error: {args.path}: no such file or directory", file=sys.stderr)
        return 2
    analysis, _ = _analyze(args.path, args)
    print(export.FORMATS[args.format](analysis, args.app), flush=True)
    _save_cache(analysis)
    return 0


def _save_cache(analysis: Analysis) -> None:
    """The on-disk cache, written once the output is out (``index/cache.py``)."""
    if analysis.workspace is not None:
        analysis.workspace.save_cache()


def run_rules(fmt: str) -> int:
    from djmig.rules import RULES

    if fmt == "markdown":
        print(rules_markdown(), end="")
        return 0
    for rule in RULES:
        print(f"{rule.code}  {rule.name:<34} {rule.severity.name.lower():<8} {rule.summary}")
    return 0


def explain(rule: Rule, level: str = "#") -> str:
    doc = rule.doc.strip().replace("\n## ", f"\n{level}# ")
    title, _, body = doc.partition("\n")
    return (
        f"{level} {rule.code} {rule.name}\n\n{title}\n\n"
        f"Default severity: **{rule.severity.name.lower()}**\n{body}\n"
    )


def rules_markdown() -> str:
    """docs/rules.md: the table of codes, then every rule's documentation."""
    from djmig.rules import RULES

    lines = ["# djmig rules", "", "| code | name | default | summary |", "|---|---|---|---|"]
    for rule in RULES:
        anchor = f"{rule.code.lower()}-{rule.name}"
        lines.append(
            f"| [{rule.code}](#{anchor}) | {rule.name} | {rule.severity.name.lower()} "
            f"| {rule.summary} |"
        )
    return "\n".join(lines) + "\n\n" + "\n".join(explain(r, "##") for r in RULES)


def run_explain(code: str) -> int:
    from djmig.rules import BY_CODE

    rule = BY_CODE.get(code.upper())
    if rule is None:
        print(f"djmig: error: unknown rule {code!r}; see `djmig rules`", file=sys.stderr)
        return 2
    print(explain(rule), end="")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    stdin = None
    if not args.tcp and not os.environ.get("DJMIG_NO_HEAD_START"):
        from djmig.lsp.early import head_start

        # Parsing starts on the second core while the server is imported.
        stdin = head_start(sys.stdin.buffer)
    # pygls and lsprotocol build thousands of classes at import: collecting during that is
    # wasted (~15% of the start-up); what they create lives as long as the server.
    gc.disable()
    from djmig.lsp.code_cache import reused

    with reused():  # attrs' code for lsprotocol's classes, compiled by an earlier start
        from djmig.lsp.server import serve

    gc.freeze()
    gc.enable()

    return serve(tcp=args.tcp, verbose=args.verbose, stdin=stdin)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "graph":
            return run_graph(args)
        if args.command == "rules":
            return run_rules(args.format)
        if args.command == "explain":
            return run_explain(args.code)
        return run_serve(args)
    except KeyboardInterrupt:
        return 2
    except BrokenPipeError:  # `djmig explain DM201 | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # the CLI never ends in a traceback
        logger.debug("internal error", exc_info=True)
        print(f"djmig: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
