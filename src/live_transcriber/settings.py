"""Settings read from the environment or a ``.env`` file, without changing ``os.environ``; and where each came from."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple


class Found(NamedTuple):
    """A setting's value and where it came from, said for a user: ``"$DEEPGRAM_API_KEY"``,
    ``"~/project/.env"``, ``"api_key="``."""

    value: str
    where: str


def locate(name: str) -> Found | None:
    """``name`` from the environment, else from the nearest ``.env`` file (this folder or one
    above it), with where it was found; None if neither has it."""
    value = os.environ.get(name)
    if value:
        return Found(value, f"${name}")
    from dotenv import dotenv_values, find_dotenv

    path = find_dotenv(usecwd=True)
    value = (dotenv_values(path).get(name) or None) if path else None
    return Found(value, _shown_path(path)) if value else None


def setting(name: str) -> str | None:
    """``name`` from the environment, else from the nearest ``.env`` file, else None."""
    found = locate(name)
    return found.value if found else None


def locate_api_key(api_key: str | None = None) -> Found | None:
    """The Deepgram key and where it came from: the argument, else ``DEEPGRAM_API_KEY`` from the
    environment or a ``.env`` file."""
    return Found(api_key, "api_key=") if api_key else locate("DEEPGRAM_API_KEY")


def find_api_key(api_key: str | None = None) -> str | None:
    """The Deepgram key: the argument, else ``DEEPGRAM_API_KEY`` from the environment or ``.env``."""
    found = locate_api_key(api_key)
    return found.value if found else None


def _shown_path(path: str) -> str:
    """A file's path as a user reads it: under the home folder as ``~/...``."""
    absolute = Path(path).absolute()
    try:
        return str(Path("~") / absolute.relative_to(Path.home()))
    except ValueError:
        return str(absolute)


class MissingKeyError(ValueError):
    """The Deepgram engine was asked for, but no API key was found."""

    def __init__(self) -> None:
        super().__init__("No Deepgram API key: pass api_key=..., set DEEPGRAM_API_KEY, or put it in a .env file.")
