"""Executes one notebook for a runnable-ts NotebookTask, with a real Jupyter kernel (nbclient).

Usage (spawned by src/runtime/notebook/execute.ts, never by users):
  python3 driver.py check <kernel>      prints {"ok": true, ...} or {"ok": false, "problem": ...}
  python3 driver.py run <request.json>  executes; the outcome goes to the request's "result" file

The request (JSON) names the notebook, where the executed copy goes, the kernel, the working
directory, the parameters to inject (JSON values), pickled objects to load, the returns to read
back and the time budget. Parameters follow papermill's convention: a cell tagged "parameters"
holds defaults; a cell tagged "injected-parameters" is inserted after it, setting each parameter
as a Python literal (repr of the JSON value). The executed notebook is written whatever happens.
Standard library + nbclient/nbformat/jupyter_client only; Python 3.8+.
"""

import asyncio
import json
import os
import re
import shutil
import sys
import threading
import time

STARTED = time.monotonic()
HERE = os.path.dirname(os.path.abspath(__file__))
RETURNS_SCRIPT = os.path.join(HERE, "kernel_returns.py")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INJECTED_TAG = "injected-parameters"
PARAMETERS_TAG = "parameters"
# Kernel start (≈ 1-2 s) gets its own budget, capped by what is left of the step's.
STARTUP_SECONDS = 60


# Set when the pipe from the runnable process closed: it died or was stopped (Ctrl-C, kill, a stopped container).
PARENT_GONE = threading.Event()


def watch_parent(loop, task):
    """Cancels the run when the runnable process goes away, so the kernel does not run on without it.

    The driver runs in its own process group (so a time-limit kill reaches the kernel too), which
    also keeps a terminal's Ctrl-C from reaching it: the pipe on stdin is how it learns."""
    def wait():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        PARENT_GONE.set()
        loop.call_soon_threadsafe(task.cancel)
    threading.Thread(target=wait, daemon=True, name="parent-watch").start()


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def find_kernel(kernel):
    """(resource dir, kernel.json) of an installed kernel, looked up as jupyter_client does (first
    kernels/ folder on the Jupyter path that has it) without importing jupyter_client, which costs
    ≈ 0.5 s: this check runs before every run with notebook steps."""
    from jupyter_core.paths import jupyter_path
    for folder in jupyter_path("kernels"):
        resource_dir = os.path.join(folder, kernel.lower())
        spec_file = os.path.join(resource_dir, "kernel.json")
        if os.path.isfile(spec_file):
            with open(spec_file, encoding="utf-8") as f:
                return resource_dir, json.load(f)
    return None, None


def installed_kernels():
    from jupyter_core.paths import jupyter_path
    names = set()
    for folder in jupyter_path("kernels"):
        if os.path.isdir(folder):
            names.update(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n, "kernel.json")))
    return sorted(names)


def check(kernel):
    """Can this interpreter run notebooks on `kernel`? Missing modules and kernels are named."""
    import importlib.util
    missing = [m for m in ("nbclient", "nbformat", "jupyter_client", "jupyter_core") if importlib.util.find_spec(m) is None]
    if missing:
        emit({"ok": False, "problem": "missing-jupyter", "detail": "no module %s" % ", ".join(missing)})
        return
    resource_dir, spec = find_kernel(kernel)
    if spec is None:
        # jupyter_client falls back to this interpreter's own ipykernel for "python3" when no spec is installed.
        if kernel == "python3" and importlib.util.find_spec("ipykernel") is not None:
            emit({"ok": True, "python": sys.executable, "kernel": kernel, "argv": [sys.executable, "-m", "ipykernel_launcher"]})
        else:
            emit({"ok": False, "problem": "missing-kernel", "available": installed_kernels()})
        return
    language = str(spec.get("language", "")).lower()
    if language != "python":
        emit({"ok": False, "problem": "not-python", "language": spec.get("language")})
        return
    argv = list(spec.get("argv", []))
    # A python kernel started as `<python> -m ipykernel_launcher`: that interpreter needs ipykernel.
    if len(argv) >= 3 and argv[1] == "-m" and argv[2].startswith("ipykernel"):
        if os.path.realpath(argv[0]) == os.path.realpath(sys.executable):
            ok = importlib.util.find_spec("ipykernel") is not None  # this very interpreter: no second process
        else:
            import subprocess
            probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('ipykernel') is None)"
            try:
                ok = subprocess.run([argv[0], "-c", probe], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            except OSError:
                ok = False
        if not ok:
            emit({"ok": False, "problem": "kernel-without-ipykernel", "interpreter": argv[0]})
            return
    emit({"ok": True, "python": sys.executable, "kernel": kernel, "argv": argv, "resourceDir": resource_dir})


def tags_of(cell):
    return cell.get("metadata", {}).get("tags", []) or []


def injected_source(step, parameters, objects):
    """The injected cell: one assignment per parameter (repr of the JSON value), one per object.

    Objects are unpickled into `_runnable_objects` before the first cell (see load_objects), so the
    cell's text holds no temporary paths: the same inputs give the same executed notebook.
    """
    lines = ["# Parameters injected by runnable (step %s)" % json.dumps(step)]
    for name in sorted(parameters):
        lines.append("%s = %r" % (name, parameters[name]))
    if objects:
        lines.append("# Objects pickled by earlier notebook steps, loaded by runnable")
        for name in sorted(objects):
            lines.append("%s = _runnable_objects[%r]" % (name, name))
    return "\n".join(lines)


LOAD_OBJECTS = """import pickle as _runnable_pickle
_runnable_objects = {}
for _runnable_name, _runnable_path in %r.items():
    with open(_runnable_path, "rb") as _runnable_file:
        _runnable_objects[_runnable_name] = _runnable_pickle.load(_runnable_file)
del _runnable_pickle, _runnable_name, _runnable_path, _runnable_file
"""


async def hidden(client, source, what):
    """Runs code in the kernel outside the notebook (no cell, no history); raises with the kernel's error."""
    reply = await client.async_wait_for_reply(await _maybe(client.kc.execute(source, silent=True, store_history=False)))
    content = (reply or {}).get("content", {})
    if content.get("status") != "ok":
        raise RuntimeError("%s failed: %s: %s" % (what, content.get("ename"), content.get("evalue")))


def coalesce_streams(nb):
    """Merges consecutive stream outputs of a cell (how the kernel flushed them is timing, not content)."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if out.get("output_type") == "stream" and last is not None and last.get("output_type") == "stream" and last.get("name") == out.get("name"):
                last["text"] = last["text"] + out["text"]
            else:
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged


def prepare(nb, request):
    """Drops injected cells of an earlier run, inserts this run's. Returns the injected cell's index or None."""
    import nbformat
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in tags_of(c)]
    parameters = request.get("parameters") or {}
    objects = request.get("objects") or {}
    if not parameters and not objects:
        return None
    at = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and PARAMETERS_TAG in tags_of(c)), None)
    cell = nbformat.v4.new_code_cell(injected_source(request.get("step", ""), parameters, objects))
    cell.metadata["tags"] = [INJECTED_TAG]
    # A fixed id where the format has ids (nbformat 4.5+), none where it has not: same inputs, same file.
    if nb.nbformat_minor >= 5:
        cell["id"] = INJECTED_TAG
    else:
        cell.pop("id", None)
    index = 0 if at is None else at + 1
    nb.cells.insert(index, cell)
    return index


def transcript(nb):
    """What the cells printed, in order (streams, and an error's traceback): the attempt's output log."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif out.get("output_type") == "error":
                parts.append(clean("\n".join(out.get("traceback", []))) + "\n")
    return "".join(parts)


def user_cell(index, injected):
    """1-based number of an executed cell in the user's notebook (the injected cell is not theirs)."""
    if injected is not None and index > injected:
        index -= 1
    return index + 1


def error_output(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out
    return None


def clean(text):
    return ANSI.sub("", text)


async def execute(nb, request, result):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if request.get("watchParent"):
        watch_parent(asyncio.get_running_loop(), asyncio.current_task())
    deadline = None if request.get("timeoutSeconds") is None else time.monotonic() + float(request["timeoutSeconds"])

    def remaining(_cell=None):
        if deadline is None:
            return None
        return max(1, int(deadline - time.monotonic() + 0.999))

    client = NotebookClient(
        nb,
        kernel_name=request["kernel"],
        resources={"metadata": {"path": request["cwd"]}},
        timeout_func=remaining,
        startup_timeout=min(STARTUP_SECONDS, remaining() or STARTUP_SECONDS),
        shutdown_kernel="immediate",
        # No timestamps in the executed notebook: the same inputs give the same file (and md5).
        record_timing=False,
    )
    injected = request.get("_injected")
    index = -1
    # Where the time goes (ms), for benchmarks: kernel start, the cells, returns, kernel shutdown.
    timings = result.setdefault("timingsMs", {})
    mark = [time.monotonic()]
    timings["driverImports"] = round((mark[0] - STARTED) * 1000)

    def lap(name):
        now = time.monotonic()
        timings[name] = round((now - mark[0]) * 1000)
        mark[0] = now

    try:
        async with client.async_setup_kernel():
            lap("kernelStart")
            reply = await client.async_wait_for_reply(await _maybe(client.kc.kernel_info()))
            if reply is not None and "language_info" in reply["content"]:
                nb.metadata["language_info"] = reply["content"]["language_info"]
            if request.get("objects"):
                await hidden(client, LOAD_OBJECTS % (request["objects"],), "loading the pickled parameters")
            for index, cell in enumerate(nb.cells):
                await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            index = -1
            lap("cells")
            await read_returns(client, request, result)
            lap("returns")
        lap("shutdown")
    except CellTimeoutError:
        where = "" if index < 0 else " in cell %d" % user_cell(index, injected)
        result.update(status="TIMEOUT", message="the notebook ran out of its %ss%s" % (request.get("timeoutSeconds"), where))
    except CellExecutionError as e:
        if index < 0:
            result.update(status="RETURNS_ERROR", message=clean(str(e.evalue)), ename=e.ename)
            return
        cell = nb.cells[index]
        out = error_output(cell) or {}
        result.update(
            status="CELL_ERROR",
            cell=user_cell(index, injected),
            executionCount=cell.get("execution_count"),
            ename=out.get("ename", e.ename),
            evalue=out.get("evalue", e.evalue),
            traceback=clean("\n".join(out.get("traceback", []))),
        )
    except DeadKernelError as e:
        where = "" if index < 0 else " while running cell %d" % user_cell(index, injected)
        result.update(status="KERNEL_DIED", message="the kernel died%s: %s" % (where, e))
    except (RuntimeError, TimeoutError) as e:
        # Kernel start-up (nbclient raises RuntimeError when the kernel does not answer in time).
        if deadline is not None and time.monotonic() >= deadline - 1:
            result.update(status="TIMEOUT", message="the notebook ran out of its %ss while its kernel was starting" % request.get("timeoutSeconds"))
        else:
            result.update(status="DRIVER_ERROR", message="the kernel %r failed to start: %s" % (request["kernel"], e))


async def _maybe(value):
    return (await value) if asyncio.iscoroutine(value) else value


async def read_returns(client, request, result):
    """Runs kernel_returns.py inside the kernel (its namespace is the notebook's); it writes a JSON file."""
    returns = request.get("returns") or []
    if not returns:
        return
    out_file = request["returnsFile"]
    source = "__import__('runpy').run_path(%r, init_globals={'_runnable_namespace': globals(), '_runnable_spec': %r, '_runnable_out': %r}, run_name='_runnable_returns')" % (
        RETURNS_SCRIPT, returns, out_file)
    try:
        await hidden(client, source, "reading the returns")
    except RuntimeError as e:
        result.update(status="RETURNS_ERROR", message=str(e))
        return
    with open(out_file, encoding="utf-8") as f:
        got = json.load(f)
    if got.get("problems"):
        result.update(status="RETURNS_ERROR", message="; ".join(got["problems"]))
    else:
        result["values"] = got.get("values", {})


def run(request_path):
    import nbformat
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    result = {"status": "SUCCESS"}
    nb = None
    try:
        nb = nbformat.read(request["notebook"], as_version=4)
        request["_injected"] = prepare(nb, request)
        result["injectedCell"] = request["_injected"]
        asyncio.run(execute(nb, request, result))
    except asyncio.CancelledError:
        result.update(status="DRIVER_ERROR", message="stopped: the runnable process running the step went away")
    except Exception as e:  # the driver's own failure: reported, never a traceback dump on stdout
        if result.get("status") == "SUCCESS":
            result.update(status="DRIVER_ERROR", message="%s: %s" % (type(e).__name__, e))
    finally:
        if nb is not None:
            coalesce_streams(nb)
            nbformat.write(nb, request["output"])
            result["executedNotebook"] = request["output"]
            if request.get("transcript"):
                with open(request["transcript"], "w", encoding="utf-8") as f:
                    f.write(transcript(nb))
        with open(request["result"], "w", encoding="utf-8") as f:
            json.dump(result, f)


def main(argv):
    if len(argv) == 3 and argv[1] == "check":
        check(argv[2])
        return 0
    if len(argv) == 3 and argv[1] == "run":
        run(argv[2])
        if PARENT_GONE.is_set():
            # Nobody will read the result: remove the attempt's scratch folder, which the runnable process made for it.
            folder = os.path.dirname(os.path.abspath(argv[2]))
            if os.path.basename(folder).startswith("runnable-notebook-"):
                shutil.rmtree(folder, ignore_errors=True)
            return 1
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
