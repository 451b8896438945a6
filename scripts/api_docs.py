"""Writes the generated parts of docs/api.md from the code, so the reference cannot drift from it.

    python scripts/api_docs.py            # rewrite docs/api.md's generated sections
    python scripts/api_docs.py --check    # exit 1 if they are out of date (tests/test_docs.py does this)

Between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->`` it writes:

- ``constructors``: the full signatures of ``LiveTranscriber`` and ``Transcriber``;
- ``traits``: every public synced trait of the widget, its type, which way it syncs (a read-only
  trait goes kernel → page; one Python may set goes Python → page; one the page's code also sets,
  ``model.set("<name>", …)`` in ``js/``, goes both ways) and its ``help=`` text;
- ``methods``: every public method and property of the widget, with its full signature and the
  docstring of the ``Transcriber`` member it passes through to (its own for those only the widget
  has: ``WIDGET_ONLY``);
- ``transcriber``: what only ``Transcriber`` has.

Everything else in docs/api.md is written by hand.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from pathlib import Path
from typing import Any, Callable

import traitlets

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api.md"
JS = ROOT / "js"

#: Public members of the widget that are not part of the user's API, and why.
INTERNAL = {"changed": "the transcriber tells the widget what changed through it (the FrontEnd protocol)"}
#: Methods only the widget has, documented by their own docstrings: the browser's recorder, worked from Python.
WIDGET_ONLY = {"start", "stop", "pause", "resume"}
#: The class each prefix of the reference stands for.
CLASS_NAMES = {"w": "LiveTranscriber", "t": "Transcriber"}
#: What the widget's own version of a member adds to the transcriber's docstring.
WIDGET_NOTES = {
    "recover": "On the widget, ``finish=`` and ``keep_audio=`` go through ``**options``.",
    "close": "On the widget it also closes the widget's comm, so its views go blank.",
    "wait": "On the widget, in a notebook's cell, it raises ``RuntimeError`` instead of blocking for good while the "
    "browser records or has not sent the end of its recording (which may reach the kernel only once the cell has finished): "
    "call it in a later cell than ``stop()``.",
}


class _Text:
    """An annotation written as its source text (the modules use ``from __future__ import annotations``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _plain(annotation: Any) -> Any:
    if annotation is inspect.Parameter.empty:
        return annotation
    return _Text(annotation if isinstance(annotation, str) else inspect.formatannotation(annotation))


def signature(function: Callable[..., Any], *, bound: bool = False) -> str:
    """``(a: int, *, b: str = 'x') -> str``: the parameters as written in the source, without ``self``."""
    sig = inspect.signature(function)
    parameters = list(sig.parameters.values())
    if not bound and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    sig = sig.replace(
        parameters=[p.replace(annotation=_plain(p.annotation)) for p in parameters],
        return_annotation=_plain(sig.return_annotation),
    )
    return str(sig)


def markdown(docstring: str | None) -> str:
    """A docstring in reStructuredText roles and literals, as Markdown."""
    text = inspect.cleandoc(docstring or "")
    text = re.sub(r":\w+:`([^`<]*?)\s*<[^`>]+>`", r"`\1`", text)  # :meth:`text <target>`
    text = re.sub(r":\w+:`~([^`]+)`", lambda m: f"`{m.group(1).split('.')[-1]}`", text)  # :class:`~a.b.Name`
    text = re.sub(r":\w+:`([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def trait_type(trait: traitlets.TraitType) -> str:
    names = {traitlets.Unicode: "str", traitlets.Bool: "bool", traitlets.Int: "int", traitlets.Float: "float", traitlets.Dict: "dict"}
    if isinstance(trait, traitlets.Enum):
        kind = "str"
    elif isinstance(trait, traitlets.List):
        inner = trait._trait
        kind = f"list[{trait_type(inner)}]" if inner is not None else "list"
    else:
        kind = next((name for cls, name in names.items() if isinstance(trait, cls)), type(trait).__name__)
    return f"{kind} \\| None" if trait.allow_none else kind


def set_by_the_page(name: str) -> bool:
    """Whether the front end's code sets the trait itself (``model.set("name", ...)``)."""
    pattern = re.compile(rf"""model\.set\(\s*["']{re.escape(name)}["']""")
    return any(pattern.search(path.read_text(encoding="utf-8")) for path in JS.rglob("*.js"))


def direction(trait: traitlets.TraitType, name: str) -> str:
    if trait.read_only:
        return "kernel → page (read-only)"
    return "both ways: Python or the page sets it" if set_by_the_page(name) else "Python → page (you may set it)"


def synced_traits() -> dict[str, traitlets.TraitType]:
    from anywidget import AnyWidget

    from live_transcriber import LiveTranscriber

    inherited = set(AnyWidget.class_trait_names())
    synced = LiveTranscriber.class_traits(sync=True)
    return {  # in the order widget.py defines them
        name: synced[name]
        for name in vars(LiveTranscriber)
        if name in synced and not name.startswith("_") and name not in inherited
    }


def traits_table() -> str:
    rows = ["| trait | type | syncs | meaning |", "|---|---|---|---|"]
    for name, trait in synced_traits().items():
        if not trait.help:
            raise SystemExit(f"LiveTranscriber.{name} has no help= text: say what it means there, it becomes its row in docs/api.md")
        meaning = trait.help
        if isinstance(trait, traitlets.Enum):
            meaning += " One of " + ", ".join(f"`{value}`" for value in trait.values) + "."
        meaning = meaning.replace("|", "\\|")  # a table cell
        rows.append(f"| `{name}` | {trait_type(trait)} | {direction(trait, name)} | {meaning} |")
    return "\n".join(rows)


def _head(prefix: str, name: str, member: Any) -> str:
    """How ``member`` is called (or read), in code, and what kind of member it is."""
    if isinstance(member, property):
        returns = inspect.signature(member.fget).return_annotation
        kind = f": {_plain(returns)}" if returns is not inspect.Signature.empty else ""
        return f"`{prefix}.{name}{kind}` (property{', settable' if member.fset is not None else ''})"
    if isinstance(member, classmethod):
        return f"`{prefix}.{name}{signature(member.__func__)}` (class method)"
    return f"`{prefix}.{name}{signature(member)}`"


def _member_entry(prefix: str, name: str, member: Any, doc_from: Any, note: str = "") -> str:
    if isinstance(member, classmethod):  # called on the class, which may take other arguments
        head = _head(CLASS_NAMES[prefix], name, member)
        if doc_from is not member and signature(member.__func__) != signature(doc_from.__func__):
            head += "  \n" + _head("Transcriber", name, doc_from)
    else:
        head = _head(prefix, name, member)
    doc = doc_from.fget.__doc__ if isinstance(doc_from, property) else getattr(doc_from, "__func__", doc_from).__doc__
    body = markdown(doc)
    if note:
        body += ("\n\n" if body else "") + markdown(note)
    return f"### {name}\n\n{head}\n\n{body}".rstrip()


def widget_members() -> dict[str, Any]:
    from live_transcriber import LiveTranscriber

    members = {}
    for name, member in vars(LiveTranscriber).items():
        if name.startswith("_") or name in INTERNAL or isinstance(member, traitlets.TraitType):
            continue
        if isinstance(member, (property, classmethod)) or inspect.isfunction(member):
            members[name] = member
    return members


def methods_section() -> str:
    from live_transcriber import Transcriber

    entries = []
    for name, member in widget_members().items():
        theirs = member if name in WIDGET_ONLY else inspect.getattr_static(Transcriber, name, None)
        if theirs is None:
            raise SystemExit(
                f"LiveTranscriber.{name} has no Transcriber member to take its documentation from: add it to INTERNAL "
                "or WIDGET_ONLY, or document it by hand"
            )
        entries.append(_member_entry("w", name, member, theirs, WIDGET_NOTES.get(name, "")))
    return "\n\n".join(entries)


def transcriber_section() -> str:
    from live_transcriber import Transcriber

    widget = set(widget_members()) | set(synced_traits()) | set(INTERNAL)
    mirrored = [name for name in synced_traits() if isinstance(inspect.getattr_static(Transcriber, name, None), property)]
    settable = [name for name in mirrored if inspect.getattr_static(Transcriber, name).fset is not None]
    lines = [
        "The widget's traits are properties of the same names on `Transcriber`: "
        + ", ".join(f"`{name}`" for name in mirrored)
        + (" (" + ", ".join(f"`{name}`" for name in settable) + " settable)." if settable else "."),
    ]
    entries = []
    for name, member in vars(Transcriber).items():
        if name.startswith("_") or name in widget:
            continue
        if isinstance(member, (property, classmethod)) or inspect.isfunction(member):
            entries.append(_member_entry("t", name, member, member))
    return "\n\n".join(lines + entries)


def constructors_section() -> str:
    from live_transcriber import LiveTranscriber, Transcriber

    return "\n".join([
        "```text",
        f"LiveTranscriber{signature(LiveTranscriber.__init__)}",
        f"Transcriber{signature(Transcriber.__init__)}",
        "```",
    ]).replace(" -> None", "")


SECTIONS: dict[str, Callable[[], str]] = {
    "constructors": constructors_section,
    "traits": traits_table,
    "methods": methods_section,
    "transcriber": transcriber_section,
}


def render(text: str) -> str:
    """``text`` (docs/api.md) with every generated section written anew."""
    for name, make in SECTIONS.items():
        begin, end = f"<!-- BEGIN GENERATED: {name} (python scripts/api_docs.py) -->", f"<!-- END GENERATED: {name} -->"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        if not pattern.search(text):
            raise SystemExit(f"docs/api.md has no section {begin} … {end}")
        text = pattern.sub(lambda _: f"{begin}\n\n{make()}\n\n{end}", text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/api.md is out of date, write nothing")
    args = parser.parse_args()
    old = API.read_text(encoding="utf-8")
    new = render(old)
    if args.check:
        if new != old:
            sys.exit("docs/api.md is out of date with the code: run `python scripts/api_docs.py` and commit it.")
        return
    API.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
