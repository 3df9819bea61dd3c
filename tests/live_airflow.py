"""Live Airflow for tests: the real components as processes, on loopback, stopped at the end.

``metadata_database`` makes a migrated metadata database of its own; ``live_airflow``
starts ``airflow api-server`` (with the collections plugin), ``airflow scheduler``,
``airflow dag-processor``, ``airflow triggerer`` when a test asks for it and, for the
CeleryExecutor, ``airflow celery worker``s, waits until each answers, and stops them all
(each in its own process group). Every component logs to ``<logs>/<name>.log`` and task logs go under ``<logs>/tasks``;
``LiveAirflow.report`` gathers their tails for a failure message.

Settings every component shares (Airflow 3.3): the metadata database, the JWT secret
the scheduler signs task tokens with and the API server checks
(``[api_auth] jwt_secret``), the Execution API address the task runners call
(``[core] execution_api_server_url``), and the simple auth manager's users and their
passwords file. The scheduler creates no scheduled runs (``[scheduler]
use_job_schedule = False``) unless a test asks for them: a test starts the runs it means.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
CLOCK_SKEW_ALLOWED = 5.0  # seconds this machine's clock may run ahead of the database server's
FINISHED = ("success", "failed")
HOSTNAME_ENV = "LIVE_AIRFLOW_HOSTNAME"


def worker_hostname() -> str:
    """``[core] hostname_callable`` of live components: the name the test gave the process, else the FQDN.

    Two Celery workers on one machine share its host name; task instances record
    this name, so a test can tell which worker ran which task.
    """
    return os.environ.get(HOSTNAME_ENV) or socket.getfqdn()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> str | None:
    """None when a Redis server answers PING at host:port, else why not."""
    try:
        with socket.create_connection((host, port), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if reply.startswith(b"+PONG") else f"unexpected answer {reply!r}"


@contextmanager
def metadata_database(pg_admin: str, home: Path, template: str | None = None) -> Iterator[dict[str, str]]:
    """A migrated Airflow metadata database of its own and an AIRFLOW_HOME: the env that points at them.

    With ``template`` (a migrated metadata database nothing is connected to: the ``airflow_metadata_template``
    fixture) the database is a copy of it, else ``airflow db migrate`` makes it."""
    import psycopg
    from cryptography.fernet import Fernet

    name = f"af_live_{uuid.uuid4().hex[:10]}"
    parts = psycopg.conninfo.conninfo_to_dict(pg_admin)
    user, host, port = parts.get("user", "postgres"), parts.get("host", "127.0.0.1"), parts.get("port", 5432)
    home.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{user}@/{name}?host={host}&port={port}",
            # the Celery result backend, when there is one, is a table of the same database
            "LIVE_AIRFLOW_RESULT_BACKEND": f"db+postgresql://{user}@{host}:{port}/{name}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # One key for every component. A home without airflow.cfg gets one written, with a Fernet key of its
            # own, by the first process that reads it: components started together each wrote and used their
            # own, and the triggerer could not read the triggers the DAG processor had encrypted (seen when the
            # database was a copy and no `airflow db migrate` had written the file first).
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        }
    )
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        ahead = conn.execute("select extract(epoch from %s::timestamptz - now())::float", [datetime.now(UTC)])
        skew = ahead.fetchone()[0]
        # Airflow's scheduler starts a run once its run_after (this machine's clock) is at or before the
        # database's now(): a clock ahead of the database's keeps every run queued until the bound
        assert skew < CLOCK_SKEW_ALLOWED, (
            f"this process's clock is {skew:.0f} s ahead of the database server's: the scheduler would keep "
            "every run queued (under libfaketime, fake a time in the past: .ci/soak does)"
        )
        conn.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
    try:
        if not template:
            migrated = subprocess.run([AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
            assert migrated.returncode == 0, migrated.stdout[-2000:] + migrated.stderr[-2000:]
        yield env
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@dataclass
class LiveAirflow:
    """Running components, their address and an admin login; helpers over Airflow's REST API."""

    url: str
    env: dict[str, str]
    logs: Path
    password: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _token: str | None = None
    viewer_password: str = ""

    # -- the REST API, as the admin ------------------------------------------------------------
    def token(self) -> str:
        """A JWT for the admin from Airflow's own login endpoint."""
        if self._token is None:
            import requests

            answer = requests.post(
                f"{self.url}/auth/token", json={"username": "admin", "password": self.password}, timeout=30
            )
            assert answer.status_code == 201, answer.text
            self._token = answer.json()["access_token"]
        return self._token

    def token_of_viewer(self) -> str:
        """A JWT for ``viewer``, a user with the simple auth manager's viewer role (reads, never changes)."""
        import requests

        answer = requests.post(
            f"{self.url}/auth/token", json={"username": "viewer", "password": self.viewer_password}, timeout=30
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["access_token"]

    def api(self, method: str, path: str, **kwargs):
        import requests

        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def unpause(self, dag_id: str) -> None:
        answer = self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        assert answer.status_code == 200, answer.text

    def trigger(self, dag_id: str, conf: dict) -> str:
        """Start a manual run of ``dag_id`` with ``conf``; its run id."""
        answer = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        assert answer.status_code == 200, answer.text
        return answer.json()["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def runs(self, dag_id: str) -> list[dict]:
        """The DAG's runs as Airflow's run list shows them."""
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})
        assert answer.status_code == 200, answer.text
        return answer.json()["dag_runs"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> dict:
        """The run once it has finished (success or failed); fails when a component died or time ran out."""
        import requests

        deadline = time.monotonic() + timeout
        state = "not read yet"
        while True:
            try:
                run = self.run(dag_id, run_id)
            except (requests.ConnectionError, requests.Timeout) as exc:
                # a busy API server may miss one poll's 30 s: the bound is the run's deadline, not one request
                state = f"unknown (the last poll got no answer: {type(exc).__name__})"
            else:
                if run["state"] in FINISHED:
                    return run
                state = run["state"]
            self.check_alive()
            assert time.monotonic() < deadline, f"{dag_id} {run_id} still {state}\n{self.report(dag_id, run_id)}"
            time.sleep(2)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """Every task instance of the run, mapped ones one per portfolio."""
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
        assert answer.status_code == 200, answer.text
        return answer.json()["task_instances"]

    # -- the processes ------------------------------------------------------------------------
    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not dead, f"Airflow components exited: {dead}\n{self.report()}"

    def report(self, dag_id: str | None = None, run_id: str | None = None, chars: int = 2500) -> str:
        """The tails of the components' logs and, for a run, of its failed tasks' logs: for a failure message."""
        parts = []
        if dag_id and run_id:
            try:
                tis = self.task_instances(dag_id, run_id)
                parts.append(
                    "task instances: "
                    + ", ".join(
                        f"{t['task_id']}[{t['rendered_map_index'] or t['map_index']}]={t['state']}@{t['hostname']}"
                        for t in tis
                    )
                )
            except Exception as exc:  # a report must not hide the failure it reports
                parts.append(f"(task instances not read: {exc})")
            for log in sorted((self.logs / "tasks").glob(f"dag_id={dag_id}/run_id={run_id}/**/*.log")):
                text = log.read_text(errors="replace")
                if '"level":"error"' in text.replace(" ", "") or "ERROR" in text:
                    parts.append(f"--- {log.relative_to(self.logs)}\n{text[-chars:]}")
        for name in self.processes:
            log = self.logs / f"{name}.log"
            if log.exists():
                parts.append(f"--- {name}.log\n{log.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)


def _wait(what: str, ready, live: LiveAirflow, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except Exception:  # not answering yet
            pass
        live.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: no answer after {timeout:.0f} s\n{live.report()}")
        time.sleep(1)


def _parsed_since(live: LiveAirflow, dag_id: str, began: datetime) -> bool:
    answer = live.api("GET", f"/dags/{dag_id}")
    parsed = answer.json().get("last_parsed_time") if answer.status_code == 200 else None
    return bool(parsed) and datetime.fromisoformat(parsed) >= began


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to each component's process group, SIGKILL to those still there after 30 s."""
    for p in processes.values():
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for p in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # whatever the group still holds (task processes, log servers)
        p.wait()


@contextmanager
def live_airflow(
    env: dict[str, str],
    logs: Path,
    *,
    executor: str = "LocalExecutor",
    workers: Sequence[str] = (),
    broker_url: str | None = None,
    dags: Sequence[str] = ("collections_standard",),
    timeout: float = 240,
    scheduled_runs: bool = False,
    triggerer: bool = False,
) -> Iterator[LiveAirflow]:
    """Run Airflow's components with ``env`` (from ``metadata_database`` plus the test's connections).

    ``workers`` names the Celery workers to start (CeleryExecutor only; each gets
    concurrency 1, so that mapped tasks spread over them); ``broker_url`` is their
    Redis. Yields once the API server answers, the scheduler and the DAG processor
    report healthy, ``dags`` are parsed and every worker answers a ping. With
    ``scheduled_runs`` the scheduler also creates the runs of each unpaused DAG's schedule (and those
    asset events start). With ``triggerer`` an ``airflow triggerer`` runs too (asset watchers, deferred
    tasks) and must report healthy before this yields.
    """
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    home = Path(env["AIRFLOW_HOME"])
    password, viewer_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    passwords = home / "live_passwords.json"
    passwords.write_text(json.dumps({"admin": password, "viewer": viewer_password}))
    env = {
        **env,
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__PARALLELISM": "4",  # two cores: a few tasks at a time is all they can do
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.live_airflow.worker_hostname",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(scheduled_runs),
        # write the DAG as parsed now, even when another process (a `dags test` of the same metadata
        # database) wrote it less than 30 s ago: else runs carry that version's settings, e.g. its queue
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "0",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(logs / "tasks"),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        # the hostname callable lives beside this file
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    }
    if executor == "CeleryExecutor":
        assert broker_url and workers, "the CeleryExecutor needs a broker and at least one worker"
        env.update(
            {
                "AIRFLOW__CELERY__BROKER_URL": broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": env["LIVE_AIRFLOW_RESULT_BACKEND"],
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
                "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
                # a queue and a key prefix of this run alone: nothing else on the broker sees its tasks
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"collections-test-{uuid.uuid4().hex[:8]}",
                "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": (
                    f"collections-test-{uuid.uuid4().hex[:8]}:"
                ),
                "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
            }
        )
    live = LiveAirflow(url=url, env=env, logs=logs, password=password, viewer_password=viewer_password)

    def start(name: str, *args: str, extra: dict[str, str] | None = None) -> None:
        with (logs / f"{name}.log").open("ab") as out:
            live.processes[name] = subprocess.Popen(
                [AIRFLOW, *args],
                env={**env, **(extra or {})},
                cwd=home,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    began = datetime.now(UTC)
    try:
        start("api-server", "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
        start("scheduler", "scheduler")
        start("dag-processor", "dag-processor")
        if triggerer:
            start("triggerer", "triggerer")
        for name in workers:
            start(
                f"worker-{name}",
                "celery",
                "worker",
                "--celery-hostname",
                f"{name}@%h",
                "--queues",
                env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"],
                "--concurrency",
                "1",
                "--pid",
                str(home / f"worker-{name}.pid"),
                extra={HOSTNAME_ENV: name, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
            )
        import requests

        _wait("the API server", lambda: requests.get(f"{url}/api/v2/monitor/health", timeout=5).ok, live, timeout)

        def healthy() -> bool:
            health = requests.get(f"{url}/api/v2/monitor/health", timeout=5).json()
            components = ("metadatabase", "scheduler", "dag_processor", *(("triggerer",) if triggerer else ()))
            return all(health.get(c, {}).get("status") == "healthy" for c in components)

        _wait("the scheduler, the DAG processor" + (" and the triggerer" if triggerer else ""), healthy, live, timeout)
        # parsed by this DAG processor, not only known from before
        for dag_id in dags:
            _wait(f"DAG {dag_id} parsed", lambda d=dag_id: _parsed_since(live, d, began), live, timeout)
        if workers:
            from celery import Celery

            app = Celery(broker=broker_url)
            app.conf.broker_transport_options = {
                "global_keyprefix": env["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX"]
            }
            host = socket.gethostname()
            wanted = {f"{name}@{host}" for name in workers}

            def pong() -> bool:
                answered = {name for reply in app.control.ping(timeout=2) for name in reply}
                return wanted <= answered

            try:
                _wait("the Celery workers", pong, live, timeout)
            finally:
                app.close()
        yield live
    finally:
        _stop(live.processes)
        if executor == "CeleryExecutor":
            _forget_keys(broker_url, env["AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX"])


def _forget_keys(broker_url: str, prefix: str) -> None:
    """Delete what the run left on the broker (queue bindings): only keys under its own prefix."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_timeout=5)
    try:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
    except redis.RedisError:
        pass  # the broker went away: nothing of ours is left to clean
    finally:
        client.close()
