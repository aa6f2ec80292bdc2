"""Start a real multi-worker Odoo server on 127.0.0.1 for repository-level tests.

Used by the concurrency test and the benchmarks: the add-on runs exactly as in
production (prefork workers, one PostgreSQL), not inside a test transaction.
"""

import configparser
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
ODOO_SRC = Path(os.environ.get("ODOO_SRC", Path.home() / ".cache" / "credit_wallet" / "odoo-18.0"))
ODOO_CONF = Path(os.environ.get("ODOO_CONF", REPO_ROOT / ".odoo" / "odoo.conf"))
PYTHON = os.environ.get("PYTHON", sys.executable)
PG_ARGS = [
    "-h",
    os.environ.get("PGHOST", "127.0.0.1"),
    "-p",
    os.environ.get("PGPORT", "5432"),
    "-U",
    os.environ.get("DB_USER", "credit_wallet"),
]


def odoo_bin(*args, log_path=None, check=True):
    """Run odoo-bin with the project's configuration file and wait for it."""
    cmd = [PYTHON, str(ODOO_SRC / "odoo-bin"), "-c", str(ODOO_CONF), *args]
    with open(log_path or os.devnull, "w") as log:
        return subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=check, timeout=1800)


def drop_database(name):
    """Drop a database and the filestore ``copy_database`` gave it."""
    subprocess.run(["dropdb", *PG_ARGS, "--if-exists", "--force", name], check=True)
    data_dir = _data_dir()
    if data_dir:
        shutil.rmtree(Path(data_dir) / "filestore" / name, ignore_errors=True)


def _data_dir():
    conf = configparser.ConfigParser()
    conf.read(ODOO_CONF)
    return conf.get("options", "data_dir", fallback=None)


def copy_database(template, name):
    """Copy a database and its filestore (Odoo keeps attachments outside PostgreSQL)."""
    subprocess.run(["createdb", *PG_ARGS, "-T", template, name], check=True)
    data_dir = _data_dir()
    if data_dir and (Path(data_dir) / "filestore" / template).is_dir():
        target = Path(data_dir) / "filestore" / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(Path(data_dir) / "filestore" / template, target)


def create_database_with_module(name, log_path):
    """A fresh database with credit_wallet installed, copied from the quickest template."""
    drop_database(name)
    module_db = os.environ.get("MODULE_DB")
    if module_db:
        copy_database(module_db, name)
        return
    template = os.environ.get("TEMPLATE_DB")
    if template:
        copy_database(template, name)
    odoo_bin("-d", name, "-i", "credit_wallet", "--stop-after-init", log_path=log_path)


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jsonrpc(url, params, cookies=None):
    """One JSON-RPC request to a route (thread-safe: no shared requests.Session)."""
    response = requests.post(
        url,
        json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
        cookies=cookies,
        timeout=120,
    )
    response.raise_for_status()
    return response.json()


class OdooServer:
    """An odoo-bin process with ``workers`` prefork workers serving one database."""

    def __init__(self, database, log_path, workers=4):
        self.database = database
        self.log_path = Path(log_path)
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        cmd = [
            PYTHON,
            str(ODOO_SRC / "odoo-bin"),
            "-c",
            str(ODOO_CONF),
            "-d",
            self.database,
            f"--db-filter=^{self.database}$",
            "--http-interface=127.0.0.1",
            f"--http-port={self.port}",
            # its own longpolling port too: with the default 8072 a second server's gevent
            # process fails to bind and restarts in a loop, logging an ERROR each time
            f"--gevent-port={free_port()}",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            "--limit-time-real=300",
            "--limit-time-cpu=300",
            f"--logfile={self.log_path}",
        ]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited early, see {self.log_path}")
            try:
                urllib.request.urlopen(f"{self.url}/web/login", timeout=5).close()
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"Odoo did not answer within 90 s, see {self.log_path}")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def execute_kw(self, uid, password, model, method, *args, **kwargs):
        """One JSON-RPC call; Odoo retries it on serialization failures, as in production."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.database, uid, password, model, method, list(args), kwargs],
            },
        }
        request = urllib.request.Request(
            f"{self.url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.load(response)
        if "error" in answer:
            raise RpcError(answer["error"]["data"].get("message") or answer["error"]["message"])
        return answer["result"]

    def login(self, login, password):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "common",
                "method": "login",
                "args": [self.database, login, password],
            },
        }
        request = urllib.request.Request(
            f"{self.url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["result"]

    def authenticate(self, login, password):
        """Sign in as a browser does; return the new session's cookies.

        Each call opens another session, like another browser. Pass the cookies to each
        ``requests`` call: a ``requests.Session`` is not meant to be shared by threads.
        """
        response = requests.post(
            f"{self.url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"db": self.database, "login": login, "password": password},
            },
            timeout=60,
        )
        response.raise_for_status()
        if not (response.json().get("result") or {}).get("uid"):
            raise RpcError(f"{login!r} cannot sign in: {response.json()}")
        return response.cookies.get_dict()

    def log_position(self):
        """Where the server log ends now, to read what the next requests log."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def concurrency_retries(self, since):
        """Requests of this database Odoo retried, and gave up on, since ``log_position()``.

        Odoo logs one line per retry after a serialization failure, lock timeout or
        deadlock (odoo/service/model.py), and one when the retries are exhausted.
        """
        with open(self.log_path, errors="replace") as log:
            log.seek(since)
            lines = [line for line in log if f" {self.database} odoo.service.model: " in line]
        retried = sum("tries left, try again" in line for line in lines)
        given_up = sum("maximum number of tries reached" in line for line in lines)
        return retried, given_up


class RpcError(Exception):
    """An error Odoo returned for a JSON-RPC call (UserError, AccessError...)."""
