"""Builds the sdist and wheel and checks them as a stranger gets them: from a clean virtualenv, in a real kernel.

    python scripts/check_package.py      # needs the package registry (build, twine, the wheel's dependencies)

1. `python -m build` (the wheel is built from the sdist, which proves the sdist is complete) and
   `twine check --strict`.
2. File lists: the sdist holds only files git tracks (no journal, virtualenv, node_modules or test
   artifact slips in), and the wheel's package is exactly the tracked `src/live_transcriber`, plus LICENSE.
3. A new virtualenv gets the wheel and ipykernel, nothing from this tree. Run from an empty folder
   there (`python -I`: neither the repository nor PYTHONPATH on sys.path): the package imports from
   the venv's site-packages; a Jupyter kernel of that venv displays a widget, whose display message
   carries the widget view and whose model's `_esm` is the shipped JavaScript; the offline engine
   transcribes a copy of notebooks/data/sample.webm with HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

SAMPLE = Path("notebooks/data/sample.webm")
# Words of the sample's three sentences that any engine worth shipping gets right.
SAMPLE_WORDS = ("weather", "park", "children", "garden", "report", "friday")
MIME_WIDGET = "application/vnd.jupyter.widget-view+json"
STARTED = time.monotonic()


def step(title: str) -> None:
    print(f"== package ({time.monotonic() - STARTED:.0f} s): {title}", flush=True)


def run(*cmd: str | Path, **kwargs) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def fail(message: str) -> None:
    sys.exit(f"check_package: {message}")


def tracked(prefix: str = "") -> set[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--", prefix or "."], check=True, capture_output=True, text=True).stdout
    return {name for name in out.split("\0") if name}


def summary(names: list[str]) -> str:
    """How many files under each top folder: the short file list for the log."""
    counts: dict[str, int] = {}
    for name in names:
        top = name.split("/", 1)[0] + ("/" if "/" in name else "")
        counts[top] = counts.get(top, 0) + 1
    return ", ".join(f"{top} {n}" if top.endswith("/") else top for top, n in sorted(counts.items()))


def check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as tar:
        root = tar.getnames()[0].split("/", 1)[0]
        names = sorted(m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile())
    stray = set(names) - tracked() - {"PKG-INFO"}
    if stray:
        fail(f"{sdist.name} carries files git does not track (fix [tool.hatch.build.targets.sdist]): {sorted(stray)}")
    missing = (tracked("src") | {"LICENSE", "README.md", "pyproject.toml"}) - set(names)
    if missing:
        fail(f"{sdist.name} lacks {sorted(missing)}")
    print(f"{sdist.name}: {len(names)} files in {root}/: {summary(names)}")


def check_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = sorted(z.namelist())
    package = {n for n in names if ".dist-info/" not in n}
    expected = {name.removeprefix("src/") for name in tracked("src/live_transcriber")}
    if package != expected:
        fail(f"{wheel.name}: extra {sorted(package - expected)}, missing {sorted(expected - package)}")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        fail(f"{wheel.name} does not carry LICENSE")
    print(f"{wheel.name}: {len(names)} files: {summary(names)}")


def build_and_check(scratch: Path) -> tuple[Path, Path]:
    step("build the sdist, then the wheel from it; twine check")
    # A venv of their own: twine's docutils would upgrade the one this Python's other tools pin.
    tools = scratch / "tools"
    run(sys.executable, "-m", "venv", tools)
    python, dist = tools / "bin" / "python", scratch / "dist"
    run(python, "-m", "pip", "install", "-q", "build", "twine")
    run(python, "-m", "build", "-q", "-o", dist, ".")
    (sdist,), (wheel,) = dist.glob("*.tar.gz"), dist.glob("*.whl")
    run(python, "-m", "twine", "check", "--strict", sdist, wheel)
    step("file lists")
    check_sdist(sdist)
    check_wheel(wheel)
    return sdist, wheel


def install_and_use(wheel: Path, scratch: Path) -> None:
    step("install the wheel into a clean virtualenv")
    venv = scratch / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", wheel, "ipykernel")
    step("in that venv, from an empty folder: import, a widget in a real kernel, a file transcribed")
    folder = scratch / "user"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER"))}
    # The venv's own kernel spec, not one a user or another Python installed: see in_venv().
    env |= {"HF_HUB_OFFLINE": "1", "JUPYTER_DATA_DIR": str(scratch / "jupyter-data"), "JUPYTER_PREFER_ENV_PATH": "1"}
    # The journal of the file transcribed goes here, not into the data folder of whoever runs this.
    env["LIVE_TRANSCRIBER_JOURNAL"] = str(scratch / "journal")
    esm = Path("src/live_transcriber/static/widget.js").resolve()
    run(python, "-I", Path(__file__).resolve(), "--in-venv", folder / SAMPLE.name, esm, cwd=folder, env=env)
    if sorted(p.name for p in folder.iterdir()) != [SAMPLE.name] or len(list((scratch / "journal").iterdir())) != 1:
        fail(f"the recording's journal should be in {scratch / 'journal'} alone, nothing next to the notebook: {list(folder.iterdir())}")


def in_venv(sample: Path, esm: Path) -> None:
    """Runs inside the clean venv: what a user's first notebook does."""
    import sysconfig
    from importlib.metadata import packages_distributions, version

    from jupyter_client.manager import KernelManager

    import live_transcriber

    site = Path(sysconfig.get_paths()["purelib"])
    where = Path(live_transcriber.__file__)
    if site not in where.parents:
        fail(f"live_transcriber imported from {where}, not from the venv's {site}")
    (dist,) = packages_distributions()["live_transcriber"]
    if live_transcriber.__version__ != version(dist):
        fail(f"__version__ is {live_transcriber.__version__} but {dist} {version(dist)} is installed")
    print(f"import live_transcriber ({dist} {version(dist)}) from {where}")

    started = time.monotonic()
    # ipc: a kernel on TCP without keys warns about it; nothing here needs the network.
    manager = KernelManager(kernel_name="python3", transport="ipc", ip=str(sample.parent / "kernel"))
    manager.start_kernel(cwd=str(sample.parent))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        code = "import sys, live_transcriber; print(sys.executable); print(live_transcriber.__file__)"
        kernel_python, kernel_import = execute(client, code)[1].split()
        if Path(kernel_python).parent != Path(sys.executable).parent or Path(kernel_import) != where:
            fail(f"the kernel runs {kernel_python} and imports {kernel_import}, not this venv's")
        messages, _ = execute(client, "from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\ndisplay(w)")
        check_widget(messages, esm.read_text(encoding="utf-8"))
        print(f"kernel ({kernel_python}) displayed the widget; _esm is the shipped widget.js ({time.monotonic() - started:.1f} s)")

        started = time.monotonic()
        code = f"print(w.transcribe_file({sample.name!r}, progress=False))"
        text = execute(client, code, timeout=600)[1].strip()
        missing = [word for word in SAMPLE_WORDS if word not in text.lower()]
        if missing:
            fail(f"transcribing {sample.name} gave {text!r}: {missing} missing")
        print(f"transcribe_file({sample.name!r}) in {time.monotonic() - started:.1f} s: {text!r}")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client, code: str, timeout: float = 120) -> tuple[list[dict], str]:
    """Runs code in the kernel; returns its iopub messages and what it printed, or fails with its traceback."""
    msg_id = client.execute(code)
    messages = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=timeout)["content"]
    if reply["status"] != "ok":
        fail(f"the kernel failed on {code!r}:\n" + "\n".join(reply.get("traceback", [reply.get("evalue", "")])))
    printed = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    return messages, printed


def check_widget(messages: list[dict], shipped_js: str) -> None:
    models = {
        m["content"]["comm_id"]: m["content"]["data"]["state"]
        for m in messages
        if m["msg_type"] == "comm_open" and m["content"]["target_name"] == "jupyter.widget"
    }
    views = [m["content"]["data"][MIME_WIDGET] for m in messages if m["msg_type"] == "display_data" and MIME_WIDGET in m["content"]["data"]]
    if not views:
        fail(f"display(w) sent no {MIME_WIDGET}: {[m['msg_type'] for m in messages]}")
    state = models.get(views[-1]["model_id"])
    if state is None:
        fail(f"the displayed view's model {views[-1]['model_id']} was never opened: models {list(models)}")
    if state.get("_esm") != shipped_js:
        fail(f"the model's _esm is not the shipped widget.js: {str(state.get('_esm'))[:200]!r}")


def main() -> None:
    if sys.argv[1:2] == ["--in-venv"]:
        in_venv(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    os.chdir(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory(prefix="check-package-") as tmp:
        scratch = Path(tmp)
        _, wheel = build_and_check(scratch)
        install_and_use(wheel, scratch)
    step("passed")


if __name__ == "__main__":
    main()
