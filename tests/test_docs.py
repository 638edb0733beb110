"""The documentation's examples run as written, so none can drift again.

In README.md and docs/*.md:

- every ```console block is run, in the order of its file, in one scratch directory per file
  (with the repository's experiments/ and examples/): each ``$ command`` must exit 0, or with the
  code it prints (``; echo "exit $?"``), and its output must match what the page shows. A block
  right after ``<!-- not run: reason -->`` is skipped. A ```toml block whose first line is
  ``# NAME.toml`` is written to that file first, so the commands can read it;
- a Markdown table right after ``<!-- produced by: COMMAND -->`` must be the table COMMAND prints
  (its header, and each row shown, in order; rows may be left out);
- every ``summit VERB --option`` written anywhere (code spans and code blocks) names a real verb
  and options it has.

Sweeps run with ``--runs 20`` instead of the page's replications (the page's full sizes take
minutes). Output that depends on those runs is checked for its table headings only; everything
else (errors, checks, comparisons and tables from commands run at the page's size) line by line,
where a line "…" on the page stands for any number of lines.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
SWEEP_RUNS = 20


@dataclass
class Step:
    line: int  # 1-based line of the page
    kind: str  # "file" | "command" | "produced"
    text: str  # file name, or the command
    expected: list[str] = field(default_factory=list)  # file content, output or table lines


def steps(doc: Path) -> list[Step]:
    """The runnable steps of a page, in order."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out: list[Step] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        produced = re.match(r"<!-- produced by: (.+?) -->", line)
        if produced:
            j = i + 1
            while j < len(lines) and not lines[j].startswith("|"):
                j += 1
            k = j
            while k < len(lines) and lines[k].startswith("|"):
                k += 1
            out.append(Step(i + 1, "produced", produced.group(1), lines[j:k]))
            i = k
            continue
        fence = re.match(r"```(\w*)$", line)
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j] == "```")
        body = lines[i + 1 : end]
        prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        skipped = prev.startswith("<!-- not run:")
        if fence.group(1) == "toml" and body and re.match(r"# [\w.-]+\.toml$", body[0]):
            out.append(Step(i + 2, "file", body[0][2:], body))
        elif fence.group(1) == "console" and not skipped:
            for j, text in enumerate(body):
                if text.startswith("$ "):
                    out.append(Step(i + 2 + j, "command", text[2:]))
                elif out and out[-1].kind == "command":
                    out[-1].expected.append(text.rstrip())
        i = end + 1
    return out


def _shortened(command: str) -> str:
    """A sweep with --runs SWEEP_RUNS (resumes and reruns keep their recorded design)."""
    m = re.match(r"(.*?)(\s*(?:;|&&|\|).*)?$", command)
    assert m is not None
    head, tail = m.group(1), m.group(2) or ""
    if not re.search(r"\bsummit sweep\b", head) or re.search(r"--resume|--rerun", head):
        return command
    head = re.sub(r"\s(?:--runs|-n)\s+\d+", "", head)
    return f"{head} --runs {SWEEP_RUNS}{tail}"


def _matches(expected: list[str], actual: list[str]) -> bool:
    """The page's lines, in order, with "…" standing for any number of lines."""
    parts: list[list[str]] = [[]]
    for line in expected:
        if line == "…":
            parts.append([])
        else:
            parts[-1].append(line)
    at = 0
    for n, part in enumerate(parts):
        if not part:
            continue
        size = len(part)
        found = next((s for s in range(at, len(actual) - size + 1) if actual[s : s + size] == part),
                     None)  # fmt: skip
        if found is None or (n == 0 and found != 0):
            return False
        at = found + len(part)
    return not parts[-1] or at == len(actual)


def _headings(lines: list[str]) -> list[tuple[str, str]]:
    """Markdown table headings: (heading row, alignment row) pairs."""
    return [
        (a, b) for a, b in itertools.pairwise(lines) if a.startswith("| ") and
        re.fullmatch(r"\|(:?-+:?\|)+", b)
    ]  # fmt: skip


def _run(command: str, cwd: Path) -> tuple[int, list[str]]:
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONUNBUFFERED": "1"}
    env.pop("SUMMIT_DEBUG", None)
    script = f"exec 2>&1\n{command}"  # stderr into stdout, in the order written, as on a terminal
    res = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=600, check=False)  # fmt: skip
    return res.returncode, [x.rstrip() for x in res.stdout.rstrip("\n").splitlines()]


def _scratch(tmp_path: Path) -> Path:
    for name in ("experiments", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


# The two longest pages run from their own test files, so that `pytest -n 2 --dist loadfile`
# (make test) can run them beside the rest: tests/test_docs_readme.py, test_docs_experiments.py.
OWN_FILES = {"README.md", "EXPERIMENTS.md"}


@pytest.mark.parametrize(
    "doc",
    [d for d in DOCS if d.name not in OWN_FILES and any(s.kind != "file" for s in steps(d))],
    ids=lambda d: d.name,
)
def test_examples_run_as_written(doc: Path, tmp_path: Path) -> None:
    check_doc(doc, tmp_path)


def check_doc(doc: Path, tmp_path: Path) -> None:
    """Run a page's examples in a scratch directory and compare what they print (module doc)."""
    cwd = _scratch(tmp_path)
    small: set[str] = set()  # batch directories written with SWEEP_RUNS
    for step in steps(doc):
        where = f"{doc.name}:{step.line}: {step.text}"
        if step.kind == "file":
            (cwd / step.text).write_text("\n".join(step.expected) + "\n", encoding="utf-8")
            continue
        command = _shortened(step.text)
        if command != step.text:
            small.update(re.findall(r"--out\s+(\S+)", command))
        rc, actual = _run(command, cwd)
        if step.kind == "produced":
            assert rc == 0, f"{where}: exit {rc}\n" + "\n".join(actual[-20:])
            # the printed table with the page's heading (a command may print several tables)
            tables = [
                list(g) for k, g in itertools.groupby(actual, lambda x: x.startswith("|")) if k
            ]
            table = next((tb for tb in tables if tb[:2] == step.expected[:2]), None)
            assert table is not None, f"{where}: table heading differs"
            rows = iter(table[2:])
            missing = [r for r in step.expected[2:] if r not in rows]  # in order, some left out
            assert not missing, f"{where}: rows not printed: {missing}"
            continue
        code = next((int(x[5:]) for x in step.expected if re.fullmatch(r"exit \d+", x)), 0)
        output = "\n".join(actual[-30:])
        assert rc == 0 and (code == 0 or f"exit {code}" in actual), f"{where}: exit\n{output}"
        if not step.expected:
            continue
        exact = code != 0 or (command == step.text and not any(d in command for d in small))
        if exact:
            assert _matches(step.expected, actual), f"{where}: output differs:\n{output}"
        else:
            heads = _headings(actual)
            for head in _headings(step.expected):
                assert head in heads, f"{where}: table heading differs:\n{head[0]}\n{output}"


def _mentions() -> list[tuple[str, str]]:
    """(where, text) of every `summit VERB …` in a code span or a code block line."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        fenced = False
        for n, line in enumerate(text.splitlines(), 1):
            if line.startswith("```"):
                fenced = not fenced
                continue
            spans = re.findall(r"`(summit [a-z][^`]*)`", line)
            if fenced and re.match(r"(\$ )?summit [a-z]", line):  # a synopsis may hold several
                spans = re.split(r"\s{2,}(?=summit )", line.removeprefix("$ "))
            found += [(f"{doc.name}:{n}", s) for s in spans]
    return found


def test_every_command_written_in_the_docs_exists() -> None:
    """Verbs and options named in the docs are the CLI's (drift in a synopsis fails here)."""
    import click

    from model.cli.main import cli

    ctx = click.Context(cli)
    bad = []
    mentions = _mentions()
    assert len(mentions) > 40
    for where, text in mentions:
        verb = text.split()[1]
        if verb in ("and", "or"):  # a --where condition on the run column `summit`
            continue
        command = cli.get_command(ctx, verb)
        if command is None:
            bad.append(f"{where}: no verb {verb!r}: {text}")
            continue
        known = {o for p in command.params for o in [*p.opts, *p.secondary_opts]}
        for option in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", text.split(";")[0]):
            if option not in known | {"-h", "--help"}:
                bad.append(f"{where}: summit {verb} has no {option}: {text}")
    assert bad == []


def test_the_help_example_of_discover_is_a_documented_run() -> None:
    """`summit discover --help`'s example condition is one EXPERIMENTS.md runs (and so finds
    cases in), not one that finds no run and exits 2."""
    from model.cli.analysis import WHERE_EXAMPLE

    commands = [s.text for s in steps(ROOT / "docs" / "EXPERIMENTS.md") if s.kind == "command"]
    wheres = [shlex.split(c)[shlex.split(c).index("--where") + 1] for c in commands
              if "discover" in c and "--where" in c]  # fmt: skip
    assert WHERE_EXAMPLE in wheres
