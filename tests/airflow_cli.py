"""The ``airflow`` command for the tests, started warm: the same command, without paying its start-up each time.

An ``airflow dags test`` of a 27-task day on a small book took 13.5 s on this project's 2-core machine, of which
about 7 s came before its first task: importing Airflow's CLI and the task runner, and building the in-process
Execution API, whose first request makes Cadwyn generate the routers of every API version
(docs/RELIABILITY.md, "The test suite's time"). The suite runs about 35 such commands.

``run_airflow`` sends each command to one server process per test process (started at first use): it imported
those modules and built that API once, with no thread running and no connection open, and forks a child per
command. The child is the command as the executable runs it: its own session (``start_new_session``, so that a
crash point's SIGKILL of its process group kills it alone), the caller's environment, its output in files read
back as ``subprocess.run(..., capture_output=True, text=True)`` returns them, Airflow's own
``airflow.__main__.main`` on the arguments, and the exit handlers run at the end. Forked from the same state
each time, one command leaves nothing behind for the next.

A command whose environment differs from the server's in a setting Airflow reads when first imported (any
``AIRFLOW_*`` variable but connections and variables: the home, the metadata database, the DAGs folder) runs the
executable instead, as does every command when ``TEST_WARM_AIRFLOW=0``: the way to check that a failure is not
this module's.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.live_airflow import AIRFLOW, REPO

WARM = os.environ.get("TEST_WARM_AIRFLOW", "1") != "0"
PER_COMMAND = ("AIRFLOW_CONN_", "AIRFLOW_VAR_")  # read when looked up, so a command may set its own


def _read_at_import(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("AIRFLOW") and not k.startswith(PER_COMMAND)}


class _Server:
    """The client's side: one server process, a JSON line a request and a line for each answer."""

    def __init__(self) -> None:
        fd, log = tempfile.mkstemp(prefix="warm-airflow-", suffix=".log")
        os.close(fd)
        self.log = Path(log)
        self.settings = _read_at_import(os.environ)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.airflow_cli"],
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        self.buffer = b""
        try:
            self.answer(timeout=180)  # {"ready": ...}: Airflow imported, the Execution API built
        except TimeoutError:
            self.proc.kill()
            raise RuntimeError(f"the warm airflow server was not ready in 180 s; its log:\n{self.tail()}") from None

    def answer(self, timeout: float) -> dict:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError(f"the warm airflow server exited; its log {self.log}:\n{self.tail()}")
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def run(self, args: Sequence[str], env: Mapping[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        assert self.proc.stdin is not None
        with tempfile.TemporaryDirectory(prefix="warm-airflow-") as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            request = {"argv": list(args), "env": dict(env), "cwd": os.getcwd(), "stdout": str(out), "stderr": str(err)}
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
            pid = self.answer(timeout=60)["pid"]
            try:
                returncode = self.answer(timeout=timeout)["returncode"]
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):  # it may have ended since
                    os.killpg(pid, signal.SIGKILL)
                self.answer(timeout=60)
                raise subprocess.TimeoutExpired([AIRFLOW, *args], timeout, out.read_text(), err.read_text()) from None
            return subprocess.CompletedProcess([AIRFLOW, *args], returncode, out.read_text(), err.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.unlink(missing_ok=True)


_server: _Server | None = None


def run_airflow(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``airflow <args>`` with ``env``, as ``subprocess.run(..., capture_output=True, text=True, timeout=...,
    start_new_session=True)`` runs it; forked from the warm server when the settings Airflow reads at import are
    the server's, else the executable."""
    global _server
    env = dict(os.environ if env is None else env)
    settings = _server.settings if _server is not None else _read_at_import(os.environ)
    if WARM and _read_at_import(env) == settings:
        if _server is None:
            _server = _Server()
            atexit.register(_server.stop)
        return _server.run(args, env, timeout)
    return subprocess.run(
        [AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout, start_new_session=True
    )


# -- the server: ``python -m tests.airflow_cli`` ----------------------------------------------------------------


def _warm() -> None:
    """Import what every command imports and build the in-process Execution API (no thread, no connection)."""
    from airflow.cli import cli_parser  # noqa: F401
    from airflow.cli.commands import dag_command  # noqa: F401
    from airflow.sdk.execution_time import supervisor, task_runner  # noqa: F401

    app = supervisor.in_process_api_server().app
    # Cadwyn generates the versions' routers at the app's first request; its own method for that, when it has it
    initialize = getattr(app, "_cadwyn_initialize", None)
    if initialize is not None and not getattr(app, "_cadwyn_initialized", True):
        initialize()

    import debt_collections.plan  # noqa: F401  # what the DAGs' tasks import


def _child(request: dict, answers: int) -> None:
    """Run one command in this forked process, and exit with its code: never returns."""
    code = 1
    try:
        os.setsid()
        os.close(answers)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["airflow", *request["argv"]]
        from airflow.__main__ import main

        code = main() or 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    answers = os.dup(1)  # the answers' pipe; what Airflow prints goes to the log (stderr)
    os.dup2(2, 1)
    began = time.monotonic()
    _warm()

    def say(answer: dict) -> None:
        os.write(answers, json.dumps(answer).encode() + b"\n")

    say({"ready": round(time.monotonic() - began, 2)})
    for line in sys.stdin.buffer:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request, answers)
        say({"pid": pid})
        _, status = os.waitpid(pid, 0)
        say({"returncode": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    serve()
