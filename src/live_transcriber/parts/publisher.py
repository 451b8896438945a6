"""The publisher: what the user is shown. It tells the front ends what changed, keeps the last
problem, and gives engine events to the callbacks once the lock is released."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from .. import protocol as P
from ..results import Event, Result

log = logging.getLogger(__name__)

ResultCallback = Callable[[Result], Any]
EventCallback = Callable[[Event], Any]


class FrontEnd(Protocol):
    """What shows the transcriber's state to a user (the widget): it is told what changed."""

    def changed(self, changes: dict[str, Any]) -> None:
        """Some of ``transcript``, ``interim``, ``status``, ``status_detail``, ``error``,
        ``results``, ``speakers``, ``bookmarks``, ``keyterms`` changed to the values given (called
        with the transcriber's lock held)."""

    def send(self, message: P.KernelMessage, buffers: list[bytes] | None = None) -> None:
        """Deliver a message (with binary ``buffers``) to the browser: one of
        :data:`~live_transcriber.protocol.KERNEL_MESSAGES`, made by its builder in :mod:`.protocol`."""


class Publisher:
    """The front ends and callbacks of one transcriber, and what they were last told."""

    def __init__(self) -> None:
        self._front_ends: list[FrontEnd] = []
        self._result_callbacks: list[ResultCallback] = []
        self._event_callbacks: list[EventCallback] = []
        self._published: dict[str, Any] = {}
        self._queue: list[Event] = []  # events for the callbacks, given once the lock is released
        #: The last problem, as a sentence saying what to do, or "".
        self.error = ""

    def report(self, message: str) -> None:
        """Show ``message`` as the problem (``""``: none)."""
        self.error = message

    def attach(self, front_end: FrontEnd, state: dict[str, Any]) -> None:
        """Tell ``front_end`` the whole ``state`` now, and every change from now on."""
        self._front_ends.append(front_end)
        front_end.changed(state)

    def publish(self, state: dict[str, Any], results: list[dict[str, Any]]) -> None:
        """Tell the front ends which values of ``state`` changed since last time; when its
        ``results`` (a version number) did, they get the ``results`` list itself."""
        changes = {k: v for k, v in state.items() if self._published.get(k, _UNSET) != v}
        if not changes:
            return
        self._published = state
        if "results" in changes:
            changes["results"] = list(results)
        self.tell(changes)

    def tell(self, changes: dict[str, Any]) -> None:
        """Tell the front ends about a change that is not in the published state (``keyterms``)."""
        for front_end in self._front_ends:
            front_end.changed(changes)

    def send(self, message: P.KernelMessage, buffers: list[bytes] | None = None) -> None:
        for front_end in self._front_ends:
            front_end.send(message, buffers)

    def on_result(self, callback: ResultCallback, remove: bool) -> None:
        _register(self._result_callbacks, callback, remove)

    def on_event(self, callback: EventCallback, remove: bool) -> None:
        _register(self._event_callbacks, callback, remove)

    def queue(self, event: Event) -> None:
        """Keep ``event`` for the callbacks (see :meth:`take`)."""
        self._queue.append(event)

    def take(self) -> list[Event]:
        """The events queued so far (taken with the lock held, given with :meth:`call_back` after)."""
        events, self._queue = self._queue, []
        return events

    def call_back(self, events: list[Event]) -> None:
        """Give ``events`` to the callbacks. Called without the lock: a callback may call back in."""
        for event in events:
            callbacks: list[Callable[[Any], Any]] = list(self._event_callbacks)
            if isinstance(event, Result):
                callbacks = [*self._result_callbacks, *callbacks]
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:
                    log.exception("live-transcriber: a callback raised")
                    traceback.print_exc()


_UNSET = object()


def _register(callbacks: list, callback: Callable, remove: bool) -> None:
    if remove:
        callbacks.remove(callback)
    elif not callable(callback):
        raise TypeError(f"Expected a function, got {type(callback).__name__}.")
    else:
        callbacks.append(callback)
