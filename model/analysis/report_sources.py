"""The sources a batch's scenario files cite, for `summit report`.

Every scenario names its sources in ``meta.sources`` (recorded in the manifest). The shipped
scenarios also cite, in comments, entries of ``docs/SOURCES.md`` (``[S-A3]``, several IDs in one
bracket) and the seed article (``[seed]``). Those comments are not part of the validated scenario,
so they are read from the scenario file itself, and only while it still has the sha256 the
manifest recorded (an edited file may cite something else than what ran); each ID is looked up
in the nearest ``docs/SOURCES.md`` above the file, for its fact and its original source.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_BRACKET = re.compile(r"\[([^\]]+)\]")
_ID = re.compile(r"\bS-[A-Z]\d+\b")
_ENTRY = re.compile(r'^\|\s*<a id="(S-[A-Z]\d+)"></a>\S+\s*\|(.*)$')
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")  # [text](target) → text


@dataclass(frozen=True)
class Citation:
    id: str
    fact: str  # our summary in docs/SOURCES.md ("" if the entry was not found)
    original: str  # the original source it names


@dataclass
class ScenarioSources:
    scenario: str
    listed: list[str]  # meta.sources
    files: list[str] = field(default_factory=list)  # files whose comments were read
    citations: list[Citation] = field(default_factory=list)
    seed_cited: bool = False
    note: str = ""  # why comments could not be read, if so
    also: list[str] = field(default_factory=list)  # scenarios above whose entries it cites too


def without_repeats(sources: list[ScenarioSources]) -> list[ScenarioSources]:
    """Each citation once on the page: a variant cites most of its base's entries, and printing
    them again doubled a comparison's pages (9 of 17). A later scenario keeps only the entries
    not listed above, and names the scenarios whose lists hold the rest."""
    seen: dict[str, str] = {}  # citation id → the scenario it is listed under
    for s in sources:
        shared = [c for c in s.citations if c.id in seen]
        s.also = list(dict.fromkeys(seen[c.id] for c in shared))
        s.citations = [c for c in s.citations if c.id not in seen]
        seen.update((c.id, s.scenario) for c in s.citations)
    return sources


def cited_ids(text: str) -> tuple[list[str], bool]:
    """IDs cited in the comments of a TOML text, in order of first citation; and whether the
    seed article is cited."""
    ids: dict[str, None] = {}
    seed = False
    for line in text.splitlines():
        _, hash_, comment = line.partition("#")
        if not hash_:
            continue
        for bracket in _BRACKET.findall(comment):
            ids.update(dict.fromkeys(_ID.findall(bracket)))
            seed = seed or "seed" in bracket
    return list(ids), seed


def source_entries(path: Path) -> dict[str, tuple[str, str]]:
    """ID → (fact, original source) from the tables of a SOURCES.md."""
    out: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _ENTRY.match(line)
        if m is None:
            continue
        # the page shows text: Markdown's links and emphasis marks are dropped
        plain = _LINK.sub(r"\1", m.group(2)).replace("**", "").replace("*", "")
        cells = [c.strip() for c in plain.split("|")]
        out[m.group(1)] = (cells[0] if cells else "", cells[1] if len(cells) > 1 else "")
    return out


def _sources_md(start: Path) -> Path | None:
    for parent in list(start.parents)[:4]:
        if (parent / "docs" / "SOURCES.md").exists():
            return parent / "docs" / "SOURCES.md"
    return None


def scenario_sources(record: dict[str, Any]) -> ScenarioSources:
    """One scenario's sources, from a manifest record (``scenario_spec``, ``scenario_files``)."""
    spec = record.get("scenario_spec") or {}
    meta = spec.get("meta") or {}
    out = ScenarioSources(
        str(meta.get("name") or record.get("scenario") or record.get("name")),
        [str(s) for s in meta.get("sources") or []],
    )
    files = record.get("scenario_files") or []
    if not files:
        out.note = "no scenario file was recorded (a scenario built in memory)"
        return out
    ids: dict[str, None] = {}
    entries: dict[str, tuple[str, str]] = {}
    for rec in files:
        path = Path(str(rec.get("path")))
        if not path.exists():
            out.note = f"{path} is gone: only the sources the scenario lists"
            return out
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != rec.get("sha256"):
            out.note = f"{path} changed since the batch ran: only the sources the scenario lists"
            return out
        found, seed = cited_ids(data.decode("utf-8", "replace"))
        ids.update(dict.fromkeys(found))
        out.seed_cited = out.seed_cited or seed
        out.files.append(str(path))
        if (md := _sources_md(path)) is not None:
            entries.update(source_entries(md))
    out.citations = [Citation(i, *entries.get(i, ("", ""))) for i in ids]
    return out
