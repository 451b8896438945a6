"""scripts/check_name.py: PyPI's name rules, and reading the registry's names from the index or a file."""

import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_name.py"
spec = importlib.util.spec_from_file_location("check_name", SCRIPT)
check_name = importlib.util.module_from_spec(spec)
sys.modules["check_name"] = check_name  # dataclasses look their module up there
spec.loader.exec_module(check_name)


# warehouse's own cases: tests/unit/forklift/test_legacy.py and tests/unit/packaging/test_services.py
@pytest.mark.parametrize("similar", ["toast1ng", "toastlng", "t0asting", "toast-ing", "toast.ing", "toast_ing", "TOASTING", "Toast-Ing"])
def test_warehouse_too_similar_names(similar):
    assert check_name.ultranormalize(similar) == check_name.ultranormalize("toasting")


@pytest.mark.parametrize(("a", "b"), [("foo", "f00"), ("foo", "f0o"), ("live-transcriber", "livetranscriber"), ("LiveTranscriber", "1ive_transcr1ber")])
def test_confusables_read_alike(a, b):
    assert check_name.ultranormalize(a) == check_name.ultranormalize(b)


@pytest.mark.parametrize(("a", "b"), [("toasting", "toastings"), ("live-transcriber", "live-transcribe"), ("modern", "rnodern")])
def test_different_names_stay_apart(a, b):
    assert check_name.ultranormalize(a) != check_name.ultranormalize(b)


def test_check_reports_each_kind_of_collision():
    names = ["livetranscriber", "Live_Transcriber-Widget", "numpy", "asyncio-extras"]
    verdicts = {v.candidate: v for v in check_name.check(["live-transcriber", "live.transcriber.widget", "-bad", "asyncio", "jupyter-live-transcriber"], names)}
    assert verdicts["live-transcriber"].similar == ["livetranscriber"]
    assert verdicts["live.transcriber.widget"].same == ["Live_Transcriber-Widget"]
    assert verdicts["live.transcriber.widget"].similar == []
    assert "not a valid project name" in verdicts["-bad"].problems[0]
    assert verdicts["asyncio"].problems == ["names a standard-library module"]
    assert verdicts["jupyter-live-transcriber"].free
    assert not any(verdicts[c].free for c in ("live-transcriber", "live.transcriber.widget", "-bad", "asyncio"))


def test_names_from_a_saved_index_or_a_tsv(tmp_path):
    index = tmp_path / "simple.json"
    index.write_text(json.dumps({"meta": {"api-version": "1.1"}, "projects": [{"name": "livetranscriber"}, {"name": "numpy"}]}))
    tsv = tmp_path / "pypi.tsv"
    tsv.write_text("livetranscriber\t0.3.13\t2025-05\n\nnumpy\t2.0\t2024-06\n")
    assert check_name.names_from_file(index) == check_name.names_from_file(tsv) == ["livetranscriber", "numpy"]


class Index(BaseHTTPRequestHandler):
    #: What it answers: JSON when asked for it first (as pypi.org does), or always this type.
    content_type: str | None = None

    def do_GET(self):
        asked_json = self.headers["Accept"].split(",")[0].strip() == check_name.SIMPLE_JSON
        content_type = self.content_type or (check_name.SIMPLE_JSON if asked_json else "text/html")
        if content_type == check_name.SIMPLE_JSON:
            body = json.dumps({"meta": {"api-version": "1.1"}, "projects": [{"name": "livetranscriber"}]}).encode()
        else:
            body = b'<!DOCTYPE html>\n<html><body>\n<a href="/simple/livetranscriber/">livetranscriber</a>\n</body></html>'
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def index_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


def test_downloads_the_index_as_json(index_url, capsys):
    assert check_name.main(["--index", index_url, "live-transcriber", "jupyter-live-transcriber"]) == 1
    out = capsys.readouterr().out
    assert "checked against 1 project names from http://127.0.0.1" in out
    assert 'live-transcriber: TAKEN (canonical "live-transcriber", ultranormalized "11vetranscr1ber")\n  too similar to: livetranscriber' in out
    assert "jupyter-live-transcriber: free" in out
    assert check_name.main(["--index", index_url, "jupyter-live-transcriber"]) == 0


def test_an_index_that_answers_html_is_read_from_its_links(index_url, monkeypatch):
    # A cache in front of pypi.org answered HTML to urllib whatever it asked for (2026-12-07).
    monkeypatch.setattr(Index, "content_type", "text/html")
    assert check_name.names_from_index(index_url) == ["livetranscriber"]
    assert check_name.names_from_html('<a href="/simple/a-b/">a-b</a><A HREF="/simple/c/"> c </A><a href="/x">&#x61;</a>') == ["a-b", "c", "a"]


def test_an_index_that_answers_anything_else_is_an_error(index_url, monkeypatch):
    monkeypatch.setattr(Index, "content_type", "text/plain")
    with pytest.raises(SystemExit, match="answered text/plain, neither"):
        check_name.names_from_index(index_url)
