"""The supervisor: one detached process that owns the embedded server's processes.

Started by ``bucle server start`` (``python -m bucle.annotation.embedded.supervisor STATE HOST PORT
SERVER_PYTHON``). In order: Redis on a Unix socket, the database migration (unless the database
is already at the installed server's revision: ``migrations``), a rebuild of the search index if
it is missing or damaged (not beside a new database: there is nothing to index), the rq worker,
then the API server. It restarts a process that dies (at most ``MAX_RESTARTS`` times a minute,
then it stops everything and exits non-zero), and on SIGTERM or SIGINT stops them in reverse
order. Each child gets PDEATHSIG so that a supervisor killed with SIGKILL does not leave orphans
behind; the processes a dead child forked (rq's pool workers and work horses) are found by their
environment and stopped before it is restarted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bucle.annotation.embedded import index_health, migrations, strays
from bucle.common import processes
from bucle.annotation.embedded.layout import ServerLayout

MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
STOP_TIMEOUT_S = 15.0
SUPERVISOR = "supervisor"


@dataclass
class Service:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)


class Supervisor:
    def __init__(self, layout: ServerLayout) -> None:
        self.layout = layout
        self.stopping = False
        self.services = [
            Service("redis", layout.redis_command()),
            Service("worker", layout.launch("worker", "--num-workers", "1")),
            Service("server", layout.launch("serve", layout.host, str(layout.port))),
        ]

    def say(self, message: str) -> None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor: {message}", flush=True)

    def spawn(self, service: Service) -> None:
        with open(self.layout.log(service.name), "ab") as log:
            try:
                service.process = subprocess.Popen(
                    service.command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.layout.server_env(),
                    cwd=self.layout.root,
                    preexec_fn=processes.dies_with_this_process(),
                )
            except OSError as error:
                raise RuntimeError(f"cannot run {service.command[0]}: {error.strerror}") from None
        processes.write(self.layout.pid_file(service.name), service.process.pid)
        self.say(f"started {service.name} (pid {service.process.pid})")

    def run_once(self, name: str, *args: str) -> None:
        """A one-shot argilla-server command; a failure ends the start-up."""
        with open(self.layout.log(name), "ab") as log:
            try:
                result = subprocess.run(
                    self.layout.launch(*args),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.layout.server_env(),
                    cwd=self.layout.root,
                )
            except OSError as error:
                raise RuntimeError(f"cannot run {self.layout.server_python}: {error.strerror}") from None
        if result.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(args)}` failed with exit code {result.returncode}; see {self.layout.log(name)}"
            )
        self.say(f"{' '.join(args)}: done")

    def wait_for_redis(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            redis = self.services[0].process
            if redis is not None and redis.poll() is not None:
                raise RuntimeError(f"redis exited with code {redis.returncode}; see {self.layout.log('redis')}")
            try:
                with socket.socket(socket.AF_UNIX) as client:
                    client.settimeout(1.0)
                    client.connect(str(self.layout.redis_socket))
                    client.sendall(b"PING\r\n")
                    if client.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis did not answer on its socket in time")

    def start(self) -> None:
        redis, worker, server = self.services
        self.spawn(redis)
        self.wait_for_redis()
        new_database = not self.layout.database.exists()
        if reason := migrations.up_to_date(self.layout):
            self.say(f"{reason}: no migration needed")
        else:
            self.run_once("migrate", "database", "migrate")
            migrations.record(self.layout)
        if index_health.needs_rebuild(self.layout.search_index, self.say, new_database):
            self.run_once("reindex", "search-engine", "reindex")
        self.spawn(worker)
        self.spawn(server)

    def watch(self) -> int:
        while not self.stopping:
            for service in self.services:
                if service.process is None or service.process.poll() is None or self.stopping:
                    continue
                self.say(f"{service.name} exited with code {service.process.returncode}")
                self.stop_orphans()
                now = time.monotonic()
                service.restarts = [t for t in service.restarts if now - t < RESTART_WINDOW_S] + [now]
                if len(service.restarts) > MAX_RESTARTS:
                    self.say(f"{service.name} keeps failing; giving up (see {self.layout.log(service.name)})")
                    return 1
                self.spawn(service)
            time.sleep(0.5)
        return 0

    def stop_orphans(self) -> None:
        """Stop what a dead service forked: they would live on under init, holding Redis."""
        live = {s.process.pid for s in self.services if s.process is not None and s.process.poll() is None}
        stopped = strays.stop_strays(self.layout.home, keep=live | {os.getpid()})
        if stopped:
            self.say(f"stopped {len(stopped)} process(es) left behind by it (pids {', '.join(map(str, stopped))})")

    def stop(self) -> None:
        for service in reversed(self.services):
            process = service.process
            if process is None:
                continue
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.say(f"{service.name} did not stop in {STOP_TIMEOUT_S:.0f} s; killing it")
                    process.kill()
                    process.wait()
            processes.remove(self.layout.pid_file(service.name))
            self.say(f"stopped {service.name}")

    def request_stop(self, signum: int, _frame) -> None:
        self.say(f"received {signal.Signals(signum).name}; stopping")
        self.stopping = True


def main(argv: list[str]) -> int:
    state_dir, host, port, server_python = argv
    layout = ServerLayout(Path(state_dir), host, int(port), Path(server_python))
    supervisor = Supervisor(layout)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    processes.write(layout.pid_file(SUPERVISOR), os.getpid())
    code = 1
    try:
        supervisor.start()
        code = supervisor.watch()
    except RuntimeError as error:
        supervisor.say(f"start-up failed: {error}")
    finally:
        supervisor.stop()
        processes.remove(layout.pid_file(SUPERVISOR))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
