"""The docs cannot drift from the code: README.md and docs/*.md are checked here, with no network.

- Every relative link and image resolves, and every ``#anchor`` names a heading of its page (GitHub's
  way of making anchors from headings).
- The Python blocks of each page run in order in one namespace, in an empty folder, with the offline
  engine and no browser or key; a block that cannot (it needs a browser, a key, a crashed kernel's
  journal) says so in an HTML comment just above it: ``<!-- not run: why -->``. The files the
  examples open (``meeting.webm``, ``interview.m4a``) are made there from the shipped sample.
- The generated parts of docs/api.md are what ``scripts/api_docs.py`` writes from the code today,
  and its table of result fields names every field a result has.
- docs/how-it-works.md names every module of the package and of ``js/``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SAMPLE = ROOT / "notebooks" / "data" / "sample.webm"
NOT_RUN = re.compile(r"<!--\s*not run:\s*(\S.*?)\s*-->")


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# -- reading Markdown ---------------------------------------------------------------------------


@dataclass
class Block:
    """A fenced code block: its language, its code (dedented), the line it starts on, and why it is not run (if marked)."""

    language: str
    code: str
    line: int
    not_run: str | None


def fenced_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = re.match(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)", lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, language = opening.groups()
        body, j = [], i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        before = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marked = NOT_RUN.fullmatch(before)
        blocks.append(Block(language, "\n".join(body) + "\n", i + 1, marked.group(1) if marked else None))
        i = j + 1
    return blocks


def prose(text: str) -> str:
    """The text outside code blocks, inline code and HTML comments (where links are not links)."""
    kept, fence = [], None
    for line in text.splitlines():
        marker = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and marker:
            fence = marker.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            kept.append(line)
    joined = re.sub(r"<!--.*?-->", "", "\n".join(kept), flags=re.S)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", joined)


def github_anchors(text: str) -> set[str]:
    """The anchors GitHub makes for a page's headings: lower case, punctuation dropped, spaces as
    hyphens, ``-1``, ``-2``, … after repeats."""
    seen: dict[str, int] = {}
    anchors = set()
    for line in prose_with_code_spans(text).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def prose_with_code_spans(text: str) -> str:
    """Like :func:`prose`, but inline code kept: headings are named by it."""
    kept, fence = [], None
    for line in text.splitlines():
        marker = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence is None and marker:
            fence = marker.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


def links(text: str) -> list[str]:
    """Every link and image target in Markdown or HTML, outside code."""
    body = prose(text)
    markdown = re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", body)
    html = re.findall(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", body)
    return markdown + html


def broken_links(page: Path) -> list[str]:
    """What is wrong with the relative links of ``page``, one sentence each."""
    problems = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            continue  # https:, mailto:: not checked (no network)
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            problems.append(f"{target}: {linked.relative_to(ROOT) if linked.is_relative_to(ROOT) else linked} does not exist")
            continue
        if anchor:
            if linked.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif anchor not in github_anchors(linked.read_text(encoding="utf-8")):
                problems.append(f"{target}: no heading in {linked.name} makes the anchor #{anchor}")
    return problems


# -- the checks -----------------------------------------------------------------------------------


def test_markdown_reading_finds_anchors_links_and_marked_blocks():
    page = """# A page: `one` *two*
## Where your audio goes: the journal
## Notes
## Notes
Text [a](#notes-1), ![img](images/x.png), `[not](a-link.md)`, <img src="y.gif" width="10">.
<!-- [nor](this.md) -->
```python
[nor](in-code.md)
```
<!-- not run: needs a browser -->
  ```python
  w = 1
  ```
"""
    assert github_anchors(page) == {"a-page-one-two", "where-your-audio-goes-the-journal", "notes", "notes-1"}
    assert links(page) == ["#notes-1", "images/x.png", "y.gif"]
    blocks = fenced_blocks(page)
    assert [(b.language, b.not_run, b.code) for b in blocks] == [
        ("python", None, "[nor](in-code.md)\n"),
        ("python", "needs a browser", "w = 1\n"),
    ]


def test_a_broken_link_or_anchor_is_reported(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "other.md").write_text("# Other\n## A part\n")
    page = docs / "page.md"
    page.write_text("[ok](other.md#a-part) [gone](missing.md) [bad](other.md#no-part) [self](#nowhere) [web](https://example.com/x)\n# Page\n")
    problems = broken_links(page)
    assert len(problems) == 3, problems
    assert "missing.md" in problems[0] and "#no-part" in problems[1] and "#nowhere" in problems[2]


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_and_anchor_resolves(page):
    assert not broken_links(page), f"{page_id(page)}:\n" + "\n".join(broken_links(page))


@pytest.fixture
def docs_folder(tmp_path, monkeypatch):
    """An empty working folder with the files the examples open; no Deepgram key anywhere."""
    for name in ("DEEPGRAM_API_KEY", "DEEPGRAM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLE, tmp_path / "meeting.webm")
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(SAMPLE), "-c:a", "aac", str(tmp_path / "interview.m4a")],
        check=True,
    )
    return tmp_path


def run_blocks(page: Path) -> int:
    """Runs the page's Python blocks in one namespace; returns how many ran. Fails on the first that raises."""
    from IPython.display import display

    from live_transcriber import LiveTranscriber, Transcriber

    namespace: dict = {"__name__": "__docs__", "display": display}
    ran = 0
    try:
        for block in fenced_blocks(page.read_text(encoding="utf-8")):
            if block.language != "python" or block.not_run:
                continue
            try:
                exec(compile(block.code, f"{page_id(page)}:{block.line}", "exec"), namespace)
            except Exception:
                pytest.fail(
                    f"The Python block at {page_id(page)} line {block.line} raised (mark it <!-- not run: why --> "
                    f"if it cannot run without a browser or a key):\n{block.code}\n{traceback.format_exc(limit=-3)}"
                )
            ran += 1
    finally:
        for value in namespace.values():
            if isinstance(value, (LiveTranscriber, Transcriber)):
                value.close()
    return ran


def runnable(page: Path) -> bool:
    return any(b.language == "python" and not b.not_run for b in fenced_blocks(page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)], ids=page_id)
def test_python_blocks_run(page, docs_folder):
    assert run_blocks(page) > 0


def test_a_block_that_raises_fails_with_where_it_is(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\n<!-- not run: needs a key -->\n```python\nraise ValueError\n```\n\n```python\n1 / 0\n```\n")
    with pytest.raises(pytest.fail.Exception, match=r"line 10 raised"):
        run_blocks(page)


def api_docs():
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "scripts" / "api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_api_reference_is_generated_from_todays_code():
    api = ROOT / "docs" / "api.md"
    text = api.read_text(encoding="utf-8")
    assert api_docs().render(text) == text, "docs/api.md differs from the code: run `python scripts/api_docs.py` and commit it"


def test_the_api_reference_names_every_field_of_a_result():
    from live_transcriber import Result, Word
    from live_transcriber.edits import edit_word

    result = Result("hi there", 0.0, 1.0, (Word("hi", 0.0, 0.5, 0.9, "Hi", 0), Word("there", 0.5, 1.0, 0.9, "there.", 0)),
                    is_final=True, speech_final=True, utterance=0, recording=0)
    fields = set(edit_word(result, 0, "Hello").to_dict()) | {"index"}
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = text.split("## Results", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(\w+)`", "\n".join(line.split("|")[1] for line in table.splitlines() if line.startswith("| `"))))
    assert fields <= documented, f"docs/api.md's Results table lacks {sorted(fields - documented)}"


def test_how_it_works_names_every_module():
    text = (ROOT / "docs" / "how-it-works.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([^`\n]+)`", prose_with_code_spans(text)))
    package = ROOT / "src" / "live_transcriber"
    modules = [p.relative_to(package) for p in package.rglob("*.py") if p.name != "__init__.py"]
    modules += [p.relative_to(ROOT / "js") for p in (ROOT / "js").rglob("*") if p.suffix in (".js", ".css")]
    missing = [
        str(module) for module in modules
        if str(module) not in named and not (len(module.parts) == 2 and f"{module.parts[0]}/" in named and module.name in named)
    ]
    assert not missing, f"docs/how-it-works.md does not name {missing}: add them to its module tables"
