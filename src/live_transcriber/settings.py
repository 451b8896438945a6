"""Settings read from the environment or a ``.env`` file, without changing ``os.environ``."""

from __future__ import annotations

import os


def setting(name: str) -> str | None:
    """``name`` from the environment, else from the nearest ``.env`` file, else None."""
    value = os.environ.get(name)
    if value:
        return value
    from dotenv import dotenv_values, find_dotenv

    path = find_dotenv(usecwd=True)
    return (dotenv_values(path).get(name) or None) if path else None


def find_api_key(api_key: str | None = None) -> str | None:
    """The Deepgram key: the argument, else ``DEEPGRAM_API_KEY`` from the environment or ``.env``."""
    return api_key or setting("DEEPGRAM_API_KEY")


class MissingKeyError(ValueError):
    """The Deepgram engine was asked for, but no API key was found."""

    def __init__(self) -> None:
        super().__init__("No Deepgram API key: pass api_key=..., set DEEPGRAM_API_KEY, or put it in a .env file.")
