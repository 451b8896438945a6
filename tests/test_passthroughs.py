"""The widget offers the transcriber's methods: each pass-through in ``widget.py`` has the signature
of the :class:`~live_transcriber.Transcriber` method its docstring points to, and every public name
of the transcriber is on the widget (a pass-through or a trait) or listed here with the reason."""

from __future__ import annotations

import inspect
import re
import typing

import traitlets

from live_transcriber import LiveTranscriber, Transcriber
from live_transcriber.testing import ScriptedEngine

#: The transcriber's public names that the widget has no pass-through of the same name for, and why.
NOT_PASSED_THROUGH = {
    "receive": "the widget's comm calls it",
    "attach": "the widget attaches itself",
    "set_keyterms": "the keyterms trait sets them",
}
#: Pass-throughs whose signature differs from the transcriber's on purpose.
OWN_SIGNATURE = {
    "recover": "finish= and keep_audio= go through **options",
    "close": "also closes the widget's comm",
}


def public_names(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def transcriber_names() -> set[str]:
    t = Transcriber(ScriptedEngine(), journal=None)  # attributes set in __init__ are public API too
    try:
        return public_names(Transcriber) | {name for name in vars(t) if not name.startswith("_")}
    finally:
        t.close()


def pass_throughs() -> dict[str, object]:
    """The methods and properties widget.py defines under a name the transcriber also has (not the traits)."""
    return {
        name: value
        for name, value in vars(LiveTranscriber).items()
        if name in public_names(Transcriber) and name not in OWN_SIGNATURE and not isinstance(value, traitlets.TraitType)
    }


def hints(member: object) -> dict[str, object]:
    function = member.fget if isinstance(member, property) else member
    return typing.get_type_hints(function)


def test_every_public_name_of_the_transcriber_is_on_the_widget_or_listed():
    traits = set(LiveTranscriber.class_trait_names())
    missing = sorted(transcriber_names() - public_names(LiveTranscriber) - traits - set(NOT_PASSED_THROUGH))
    assert not missing, f"Transcriber has {missing}, which the widget neither passes through nor lists in NOT_PASSED_THROUGH"
    stale = sorted(name for name in NOT_PASSED_THROUGH if name not in transcriber_names() or name in vars(LiveTranscriber))
    assert not stale, f"NOT_PASSED_THROUGH lists {stale}: not on Transcriber, or the widget has it now"


def test_each_pass_through_points_to_its_transcriber_method():
    for name, member in pass_throughs().items():
        pointers = re.findall(r":(?:meth|attr):`Transcriber\.(\w+)`", inspect.getdoc(member) or "")
        assert pointers == [name], f"LiveTranscriber.{name}'s docstring should point to Transcriber.{name}, not to {pointers}"


def test_each_pass_through_has_the_transcribers_signature():
    for name, member in pass_throughs().items():
        theirs = inspect.getattr_static(Transcriber, name)
        assert isinstance(member, property) == isinstance(theirs, property), f"LiveTranscriber.{name} is a property on one side only"
        if not isinstance(member, property):
            ours, expected = inspect.signature(member), inspect.signature(theirs)
            assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
                (p.name, p.kind, p.default) for p in expected.parameters.values()
            ], f"LiveTranscriber.{name}{ours} does not take what Transcriber.{name}{expected} takes"
        assert hints(member) == hints(theirs), f"LiveTranscriber.{name}'s types {hints(member)} differ from Transcriber.{name}'s {hints(theirs)}"
