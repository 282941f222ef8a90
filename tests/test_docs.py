"""Documentation that is generated or promised stays true: ``docs/rules.md`` is the output of
``djmig rules --format markdown``, every rule documents the six sections, and the example
project's README shows the output ``make demo`` really prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from djmig.rules import RULES

REPO = Path(__file__).resolve().parent.parent
RULES_MD = REPO / "docs" / "rules.md"
EXAMPLES_README = REPO / "examples" / "README.md"
HEADINGS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "References",
)


def djmig(*args: str, cwd: Path = REPO, hash_seed: str | None = None) -> str:
    env = dict(os.environ)
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    completed = subprocess.run(
        [sys.executable, "-m", "djmig", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.stdout


def sections(markdown: str, level: int) -> dict[str, str]:
    """Headings of ``level`` (``## X``) mapped to the text up to the next such heading."""
    marker = "#" * level + " "
    found: dict[str, str] = {}
    current = None
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith(marker):
            current = line[len(marker) :].strip()
            found[current] = ""
        elif current is not None:
            found[current] += line + "\n"
    return found


def test_rules_md_is_the_generated_rules_markdown() -> None:
    generated = djmig("rules", "--format", "markdown")
    assert RULES_MD.read_text(encoding="utf-8") == generated, (
        "docs/rules.md is stale: run `djmig rules --format markdown > docs/rules.md`"
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_docstring_has_the_six_sections(rule) -> None:
    found = sections(rule.doc, 2)
    assert list(found) == list(HEADINGS), rule.code
    for heading, body in found.items():
        assert body.strip(), f"{rule.code}: empty section {heading!r}"
    assert rule.summary, rule.code


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rules_md_documents_each_rule_with_the_six_sections(rule) -> None:
    markdown = RULES_MD.read_text(encoding="utf-8")
    titles = sections(markdown, 2)
    title = f"{rule.code} {rule.name}"
    assert title in titles, f"no `## {title}` in docs/rules.md"
    subsections = sections(titles[title], 3)
    assert list(subsections) == list(HEADINGS), rule.code
    assert f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) | {rule.name} |" in markdown


def test_rules_md_table_lists_every_rule_once_in_code_order() -> None:
    markdown = RULES_MD.read_text(encoding="utf-8")
    listed = re.findall(r"^\| \[(DM\d{3})\]", markdown, re.MULTILINE)
    assert listed == [rule.code for rule in RULES]
    assert listed == sorted(listed)


def test_rule_codes_and_names_are_well_formed() -> None:
    codes = [rule.code for rule in RULES]
    assert len(set(codes)) == len(codes)
    for rule in RULES:
        assert re.fullmatch(r"DM\d{3}", rule.code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
        assert rule.url.endswith(f"#{rule.code.lower()}-{rule.name}")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_explain_prints_the_documentation_of_docs_rules_md(rule) -> None:
    explained = djmig("explain", rule.code)
    for heading in HEADINGS:
        assert re.search(rf"^#+ {re.escape(heading)}$", explained, re.MULTILINE), heading
    assert sections(rule.doc, 2)["What it does"].strip() in explained


@pytest.mark.parametrize("hash_seed", ["1", "3"])
def test_examples_readme_shows_the_demo_output(hash_seed: str) -> None:
    """The block under "Expected output" is what ``make demo`` prints, whatever the
    interpreter's string hashing (two seeds that order sets differently)."""
    readme = EXAMPLES_README.read_text(encoding="utf-8")
    expected_section = sections(readme, 2)["Expected output"]
    match = re.search(r"```\n(.*?)```", expected_section, re.DOTALL)
    assert match, "no output block under `## Expected output` in examples/README.md"
    actual = djmig("check", ".", cwd=REPO / "examples" / "shopsite", hash_seed=hash_seed)
    assert match.group(1) == actual


def test_examples_readme_names_every_file_that_has_findings() -> None:
    readme = EXAMPLES_README.read_text(encoding="utf-8")
    shopsite = REPO / "examples" / "shopsite"
    output = djmig("check", ".", cwd=shopsite)
    for line in output.splitlines()[:-1]:
        path, _, _ = line.partition(":")
        app, _, rest = path.partition("/")
        name = Path(rest).name
        assert name in readme, f"{path} is not described in examples/README.md"
        assert app in readme
