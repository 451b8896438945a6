"""Would PyPI accept a new project under this name? Checks candidates against the registry's names.

PyPI refuses a new project whose name is invalid, names a standard-library module, equals an existing
project's name once normalised, or is "too similar" to one: equal after warehouse's
`ultranormalize_name` (pypi/warehouse, migration d18d443f89f0, used by
`ProjectService.check_project_name`). This script applies the same rules to every name in the
registry's simple index and prints each collision.

    python scripts/check_name.py live-transcriber jupyter-transcriber
    python scripts/check_name.py --names names.txt live-transcriber   # a saved list, no network

Without --names it downloads the simple index (PEP 691 JSON, or PEP 503 HTML where that is what
answers; about 900,000 names). A list saved
earlier works too: the JSON from that URL, or text with one name per line (the first tab-separated
field, so a TSV whose first column is the name works as it is).

What it cannot see: PyPI's private list of prohibited names and a name that another user has
reserved a moment ago. Exit status: 0 when every candidate is free, 1 when one is taken.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SIMPLE_INDEX = "https://pypi.org/simple/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"

# warehouse/utils/project.py PROJECT_NAME_RE
VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE | re.ASCII)

# warehouse's SQL, case-insensitive throughout ('ig'):
#   lower(regexp_replace(regexp_replace(regexp_replace($1, '(\.|_|-)', '', 'ig'),
#                                       '(l|L|i|I)', '1', 'ig'), '(o|O)', '0', 'ig'))
_ULTRA = str.maketrans({".": None, "_": None, "-": None, "l": "1", "L": "1", "i": "1", "I": "1", "o": "0", "O": "0"})


def ultranormalize(name: str) -> str:
    """PyPI's "too similar" key: separators dropped, l/i read as 1, o as 0, case ignored."""
    return name.translate(_ULTRA).lower()


def canonicalize(name: str) -> str:
    """PEP 503's normalised name, under which two names are the same project."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Verdict:
    candidate: str
    problems: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    similar: list[str] = field(default_factory=list)

    @property
    def free(self) -> bool:
        return not (self.problems or self.same or self.similar)


def check(candidates: Iterable[str], names: Iterable[str]) -> list[Verdict]:
    """One pass over the registry's names, a verdict per candidate."""
    verdicts = [Verdict(c) for c in candidates]
    # warehouse checks every Python version's modules (stdlib_list); this Python's are most of them.
    stdlib = {canonicalize(m) for m in sys.stdlib_module_names}
    by_canonical: dict[str, list[Verdict]] = {}
    by_ultra: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_canonical.setdefault(canonicalize(v.candidate), []).append(v)
        by_ultra.setdefault(ultranormalize(v.candidate), []).append(v)
        if not VALID_NAME.match(v.candidate):
            v.problems.append("not a valid project name (letters, digits, '.', '_', '-'; starts and ends alphanumeric)")
        elif canonicalize(v.candidate) in stdlib:
            v.problems.append("names a standard-library module")
    for name in names:
        for v in by_canonical.get(canonicalize(name), ()):
            v.same.append(name)
        for v in by_ultra.get(ultranormalize(name), ()):
            if canonicalize(name) != canonicalize(v.candidate):
                v.similar.append(name)
    return verdicts


def names_from_index(url: str = SIMPLE_INDEX) -> list[str]:
    """The project names in a simple index: PEP 691 JSON when it answers that, else PEP 503 HTML
    (one link a project). Some caches in front of pypi.org answer HTML whatever was asked."""
    request = urllib.request.Request(url, headers={"Accept": f"{SIMPLE_JSON}, text/html;q=0.1"})
    with urllib.request.urlopen(request, timeout=120) as response:
        content_type = response.headers.get_content_type()
        if content_type == SIMPLE_JSON:
            return [project["name"] for project in json.load(response)["projects"]]
        if content_type == "text/html":
            return names_from_html(response.read().decode(response.headers.get_content_charset() or "utf-8"))
        raise SystemExit(f"{url} answered {content_type}, neither {SIMPLE_JSON} nor text/html: cannot read its names")


_LINK_TEXT = re.compile(r"<a\b[^>]*>([^<]*)</a>", re.IGNORECASE)


def names_from_html(page: str) -> list[str]:
    """The names a PEP 503 simple index page links to (the text of each link)."""
    return [html.unescape(name).strip() for name in _LINK_TEXT.findall(page) if name.strip()]


def names_from_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return [project["name"] for project in json.loads(text)["projects"]]
    return [line.split("\t", 1)[0].strip() for line in text.splitlines() if line.strip()]


def report(verdicts: list[Verdict], count: int, source: str) -> str:
    lines = [f"checked against {count:,} project names from {source}"]
    for v in verdicts:
        key = f'canonical "{canonicalize(v.candidate)}", ultranormalized "{ultranormalize(v.candidate)}"'
        lines.append(f"{v.candidate}: {'free' if v.free else 'TAKEN'} ({key})")
        lines += [f"  {problem}" for problem in v.problems]
        lines += [f"  exists: {name}" for name in v.same]
        lines += [f"  too similar to: {name}" for name in sorted(v.similar)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("candidates", nargs="+", help="project names to check")
    parser.add_argument("--names", type=Path, help="a saved list of names instead of downloading the index")
    parser.add_argument("--index", default=SIMPLE_INDEX, help=f"the simple index to download (default {SIMPLE_INDEX})")
    args = parser.parse_args(argv)
    names = names_from_file(args.names) if args.names else names_from_index(args.index)
    verdicts = check(args.candidates, names)
    print(report(verdicts, len(names), str(args.names) if args.names else args.index))
    return 0 if all(v.free for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
