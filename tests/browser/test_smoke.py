"""The browser-test machinery works, independent of the widget: JupyterLab runs cells, the
kernel answers a second client and runs this package, and Chromium's fake microphone records
WebM/Opus with sound."""

from __future__ import annotations

from pathlib import Path

import pytest

import live_transcriber

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

# Records the fake microphone the way the widget does (250 ms timeslices) and measures its level.
RECORD_FAKE_MIC = """
async (durationMs) => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mimeType = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : '';
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const chunkSizes = [];
  recorder.ondataavailable = (event) => chunkSizes.push(event.data.size);

  const audio = new AudioContext();
  const analyser = audio.createAnalyser();
  audio.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let maxRms = 0;
  const meter = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
    maxRms = Math.max(maxRms, rms);
  }, 50);

  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start(250);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  recorder.stop();
  await stopped;
  clearInterval(meter);
  stream.getTracks().forEach((track) => track.stop());
  await audio.close();
  return { mimeType: recorder.mimeType, chunkSizes, maxRms, audioState: audio.state };
}
"""


def test_notebook_runs_cells_and_kernel_answers(open_notebook):
    nb = open_notebook("x = 1 + 1\nx", "print('hello')")

    assert nb.text(nb.run_cell(0)) == "2"
    assert nb.text(nb.run_cell(1)) == "hello\n"
    assert nb.kernel.eval("x") == 2
    assert nb.kernel.wait_for("x * 2", lambda v: v == 4, timeout=5) == 4


def test_the_kernel_runs_the_package_under_test(open_notebook):
    """Not another copy installed on the machine: the server's own interpreter runs the kernel."""
    nb = open_notebook("import live_transcriber")
    nb.run_cell(0)

    assert Path(nb.kernel.eval("live_transcriber.__file__")) == Path(live_transcriber.__file__)


def test_fake_microphone_records_webm_opus_with_sound(open_notebook):
    nb = open_notebook("pass")

    result = nb.page.evaluate(RECORD_FAKE_MIC, 2000)

    assert result["mimeType"] == "audio/webm;codecs=opus"
    assert len(result["chunkSizes"]) >= 6, result
    assert all(size > 0 for size in result["chunkSizes"]), result
    assert result["maxRms"] > 0.01, result
