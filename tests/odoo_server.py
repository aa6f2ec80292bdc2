"""Start a real multi-worker Odoo server on 127.0.0.1 for repository-level tests.

Used by the concurrency test and the benchmarks: the add-on runs exactly as in
production (prefork workers, one PostgreSQL), not inside a test transaction.
"""

import argparse
import configparser
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import psycopg2
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


def odoo_bin(*args, log_path=None, check=True, conf=ODOO_CONF):
    """Run odoo-bin with the project's configuration file (or ``conf``) and wait for it."""
    cmd = [PYTHON, str(ODOO_SRC / "odoo-bin"), "-c", str(conf), *args]
    with open(log_path or os.devnull, "w") as log:
        return subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=check, timeout=1800)


def odoo_shell(database, script, log_path):
    """Run a Python ``script`` in ``odoo-bin shell`` on ``database`` (``env`` is admin's)."""
    cmd = [PYTHON, str(ODOO_SRC / "odoo-bin"), "shell", "-c", str(ODOO_CONF), "-d", database]
    with open(log_path, "w") as log:
        return subprocess.run(
            [*cmd, "--no-http", "--log-level=info"],
            input=script,
            text=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,  # the caller reads the log: it says what failed
            timeout=600,
        )


def connect(database):
    """An autocommit connection to ``database``, as the project's PostgreSQL role."""
    connection = psycopg2.connect(
        host=PG_ARGS[1], port=PG_ARGS[3], user=PG_ARGS[5], dbname=database
    )
    connection.autocommit = True
    return connection


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


@contextlib.contextmanager
def throwaway_database(default_name, label):
    """A benchmark's own database, dropped at the end unless ``BENCH_KEEP_DB=1``.

    Named ``BENCH_DB`` (default ``default_name``): a copy of ``MODULE_DB``, or built as the
    repository tests build theirs. Yields its name and the log directory, where its logs
    are named after ``label``.
    """
    database = os.environ.get("BENCH_DB", default_name)
    log_dir = REPO_ROOT / ".odoo" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"Preparing the throwaway database {database} ...", flush=True)
    create_database_with_module(database, log_dir / f"{label}-install.log")
    try:
        yield database, log_dir
    finally:
        if os.environ.get("BENCH_KEEP_DB") != "1":
            drop_database(database)


def sample_arguments(description, samples, warm_up):
    """The command line of a benchmark timing samples after a warm-up, on a few workers."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--samples", type=int, default=samples)
    parser.add_argument("--warm-up", type=int, default=warm_up)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.samples < 2 or args.warm_up < 0:
        parser.error("at least 2 samples, and a warm-up of 0 or more rounds")
    return args


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
    """An odoo-bin process with ``workers`` prefork workers serving one database.

    ``conf``: the Odoo configuration file, the project's by default.
    """

    def __init__(self, database, log_path, workers=4, conf=ODOO_CONF):
        self.conf = conf
        self.database = database
        self.log_path = Path(log_path)
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.uid = None

    def __enter__(self):
        cmd = [
            PYTHON,
            str(ODOO_SRC / "odoo-bin"),
            "-c",
            str(self.conf),
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
            except urllib.error.HTTPError as error:
                # it answers, wrongly (e.g. the add-on's code is newer than the database)
                self.__exit__(None, None, None)
                raise RuntimeError(f"Odoo answers {error.code}, see {self.log_path}") from error
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
        # Odoo leaves the result out of its answer when it is None
        return answer.get("result")

    def call(self, model, method, *args, **kwargs):
        """One JSON-RPC call as the demo database's administrator (admin / admin)."""
        if not self.uid:
            self.uid = self.login("admin", "admin")
            if not self.uid:
                raise RpcError("the demo database's admin / admin login must work")
        return self.execute_kw(self.uid, "admin", model, method, *args, **kwargs)

    def ref(self, xmlid):
        """The id of the record named ``module.name``."""
        module, name = xmlid.split(".")
        return self.call("ir.model.data", "check_object_reference", module, name)[1]

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

    def logged_requests(self, since, request):
        """(SQL queries, SQL ms) of each request of this database logged since
        ``log_position()`` whose request line matches ``request`` (a regular expression,
        e.g. ``POST /jsonrpc``), in the order the server answered them.

        werkzeug's access log line ends with the SQL query count, the SQL time and the
        other time of the request (odoo/netsvc.py).
        """
        access = re.compile(rf'"(?:{request}) HTTP/1\.1" 200 - (\d+) ([\d.]+) ')
        with open(self.log_path, errors="replace") as log:
            log.seek(since)
            return [
                (int(match.group(1)), float(match.group(2)) * 1000)
                for line in log
                if f" {self.database} werkzeug: " in line and (match := access.search(line))
            ]

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

    def logged_errors(self, since, allowed=None):
        """ERROR and CRITICAL records of this database logged since ``log_position()``,
        but those matching ``allowed``."""
        with open(self.log_path, errors="replace") as log:
            log.seek(since)
            return log_errors(log.read(), self.database, allowed)


def log_errors(text, database, allowed=None):
    """The ERROR and CRITICAL records of ``database`` in an Odoo log, but those matching
    ``allowed``; each record is its lines joined (a traceback follows its first line)."""
    records = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ )", text)
    level = re.compile(rf"^\S+ \S+ \d+ (ERROR|CRITICAL) {re.escape(database)} ")
    return [
        record
        for record in records
        if level.match(record) and not (allowed and allowed.search(record))
    ]


class RpcError(Exception):
    """An error Odoo returned for a JSON-RPC call (UserError, AccessError...)."""


# Odoo gave up on a request after its own retries (odoo/service/model.py): nothing was
# written, and the client may send it again.
CONCURRENCY_FAILURE = re.compile(r"could not serialize|deadlock detected|could not obtain lock")
# A spend or removal refused for lack of credits: before the wallet's row lock, or under it
CREDIT_REFUSAL = re.compile(r"does not cover|Not enough credits")


def resubmitting(send, stats, refusal=None, resubmissions=10):
    """Call ``send`` again while Odoo gave up on it after its own retries (bounded).

    :param refusal: a pattern of the expected refusals (RpcError messages)
    :return: None when it went through, else the refusal's message
    """
    for _try in range(resubmissions):
        try:
            send()
            return None
        except RpcError as error:
            if refusal and refusal.search(str(error)):
                return str(error)
            if not CONCURRENCY_FAILURE.search(str(error)):
                raise
            stats["resubmitted"] += 1
    raise AssertionError(f"still failing after {resubmissions} submissions")


def at_once(functions):
    """Run the functions in threads released at the same moment; return their results."""
    barrier = threading.Barrier(len(functions))

    def run(function):
        barrier.wait(timeout=60)
        return function()

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(run, functions))


def rpc_result(answer):
    """The result of a JSON-RPC answer of a route; its error as an RpcError."""
    if "error" in answer:
        error = answer["error"]
        raise RpcError((error.get("data") or {}).get("message") or error.get("message"))
    # Odoo leaves the result out of its answer when it is None
    return answer.get("result")


class Tags(HTMLParser):
    """Every start tag of a page with its attributes (values unescaped)."""

    def __init__(self, text):
        super().__init__()
        self.found = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def all(self, attribute, value=None, tag=None):
        return [
            attrs
            for name, attrs in self.found
            if attribute in attrs
            and (value is None or attrs[attribute] == value)
            and (tag is None or name == tag)
        ]

    def one(self, attribute, value=None, tag=None):
        matches = self.all(attribute, value, tag)
        assert len(matches) == 1, f"expected one element with {attribute}={value}: {matches}"
        return matches[0]


# -------------------------------------------------------------------------------------------
# What customers and the agency do, the way their browser does it
# -------------------------------------------------------------------------------------------


def create_portal_customers(server, logins):
    """Customer companies, each with one contact using the portal, signing in as login / login.

    :return: the companies' partner ids (the owners of the wallets their contacts share)
    """
    names = [f"{login.capitalize()} Ltd" for login in logins]
    company_ids = server.call(
        "res.partner", "create", [{"name": name, "is_company": True} for name in names]
    )
    contact_ids = server.call(
        "res.partner",
        "create",
        [
            {"name": f"{name} Buyer", "parent_id": company_id}
            for name, company_id in zip(names, company_ids, strict=True)
        ],
    )
    portal = server.ref("base.group_portal")
    server.call(
        "res.users",
        "create",
        [
            {
                "login": login,
                "password": login,
                "partner_id": contact_id,
                "groups_id": [(6, 0, [portal])],
            }
            for login, contact_id in zip(logins, contact_ids, strict=True)
        ],
    )
    return company_ids


def adjust_wallet(server, wallet_id, amount, reason="repository test"):
    """Add (positive) or remove (negative) credits with the manual adjustment wizard."""
    wizard_id = server.call(
        "credit.wallet.adjustment",
        "create",
        {
            "wallet_id": wallet_id,
            "direction": "in" if amount > 0 else "out",
            "amount": abs(amount),
            "reason": reason,
        },
    )
    server.call("credit.wallet.adjustment", "action_apply", [wizard_id])


def payment_provider(server, domain):
    """The one provider matching ``domain``: its id and its payment methods."""
    [provider] = server.call(
        "payment.provider", "search_read", domain, fields=["id", "payment_method_ids"]
    )
    return provider


def credit_purchase_form(server, cookies, package_id=None, amount=None):
    """The payment form of Buy Credits for a package (or a custom amount): the attributes
    of its form element (data-amount, data-transaction-route, data-access-token...)."""
    page = requests.get(
        f"{server.url}/my/credits/buy",
        params={"package_id": package_id} if package_id else {"amount": amount},
        cookies=cookies,
        timeout=60,
    )
    page.raise_for_status()
    return Tags(page.text).one("data-transaction-route")


def start_credit_purchase(server, cookies, form, provider, flow="direct"):
    """Create the purchase's transaction as the payment form's JS does.

    The session then monitors this transaction, like the customer's browser.

    :return: the processing values (``reference``, ``redirect_form_html``...)
    """
    return rpc_result(
        jsonrpc(
            f"{server.url}{form['data-transaction-route']}",
            {
                "provider_id": provider["id"],
                "payment_method_id": provider["payment_method_ids"][0],
                "token_id": None,
                "amount": float(form["data-amount"]),
                "flow": flow,
                "tokenization_requested": False,
                "landing_route": "/my/credits",
                "is_validation": False,
                "access_token": form["data-access-token"],
            },
            cookies,
        )
    )


def start_package_purchase(server, cookies, package_name, provider_domain, flow="direct"):
    """Buy the demo package ``package_name`` with the provider matching ``provider_domain``:
    Buy Credits page, then its transaction route. Return the processing values."""
    [package] = server.call(
        "credit.package", "search_read", [("name", "=", package_name)], fields=["company_id"]
    )
    provider = payment_provider(
        server, [*provider_domain, ("company_id", "=", package["company_id"][0])]
    )
    form = credit_purchase_form(server, cookies, package_id=package["id"])
    return start_credit_purchase(server, cookies, form, provider, flow)


def buy_by_transfer(server, cookies, package_name):
    """Buy ``package_name`` by wire transfer as the customer's browser does.

    :return: the id of the credit request the pending payment opened
    """
    processing = start_package_purchase(
        server, cookies, package_name, [("custom_mode", "=", "wire_transfer")], "redirect"
    )
    redirect_form = Tags(processing["redirect_form_html"])
    response = requests.post(
        f"{server.url}{redirect_form.one('action', tag='form')['action']}",
        data={"reference": processing["reference"]},
        cookies=cookies,
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 303, response.text[:500]
    assert urlsplit(response.headers["Location"]).path == "/payment/status"
    [request] = server.call(
        "credit.request",
        "search_read",
        [("payment_transaction_id.reference", "=", processing["reference"])],
        fields=["state"],
    )
    assert request["state"] == "pending", request
    return request["id"]


def run_autopay(server):
    """The auto-pay scheduled action, as Odoo's cron runner starts it (the test servers run
    no cron thread)."""
    server.call(
        "ir.cron", "method_direct_trigger", [server.ref("credit_wallet.ir_cron_credit_autopay")]
    )


def simulate_demo_payment(server, reference, state="done"):
    """The demo provider's notification that the payment of ``reference`` is ``state``."""
    return jsonrpc(
        f"{server.url}/payment/demo/simulate_payment",
        {"reference": reference, "simulated_state": state, "payment_details": "4242"},
    )


def poll_payment_status(server, cookies):
    """The status page's poll, which post-processes the session's transaction."""
    return jsonrpc(f"{server.url}/payment/status/poll", {}, cookies)


def create_invoices(server, partner_id, amounts, currency_id=None):
    """Posted invoices of ``amounts`` (one service line, no tax) for ``partner_id``, sent, in
    ``currency_id`` (the company's by default).

    Sent, as invoices customers pay online are: paying an unsent one makes Odoo's
    post-processing email it, whose PDF needs wkhtmltopdf.
    """
    product_id = server.ref("credit_wallet.demo_product_seo_report")
    invoice_ids = server.call(
        "account.move",
        "create",
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner_id,
                **({"currency_id": currency_id} if currency_id else {}),
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product_id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [(6, 0, [])],
                        },
                    )
                ],
            }
            for amount in amounts
        ],
    )
    server.call("account.move", "action_post", invoice_ids)
    server.call("account.move", "write", invoice_ids, {"is_move_sent": True})
    return invoice_ids


class CreditsRefused(Exception):
    """The invoice page did not offer Credits, or its transaction route refused them."""


class CreditPayment(NamedTuple):
    """A credit transaction a tab created, and the form its page would submit."""

    cookies: dict
    invoice_id: int
    reference: str
    action: str
    fields: dict


def invoice_payment_page(server, cookies, invoice_id):
    """The invoice's portal page: its tags, and the attributes of its payment form."""
    page = requests.get(f"{server.url}/my/invoices/{invoice_id}", cookies=cookies, timeout=60)
    page.raise_for_status()
    tags = Tags(page.text)
    return tags, tags.one("data-transaction-route")


def start_invoice_transaction(server, cookies, form, provider_id, method_id, flow, **values):
    """Create the transaction paying an invoice, as its payment form's JS does.

    :return: the transaction route's JSON-RPC answer
    """
    landing_route = form["data-landing-route"]
    return jsonrpc(
        f"{server.url}{form['data-transaction-route']}",
        {
            "access_token": parse_qs(urlsplit(landing_route).query)["access_token"][0],
            "provider_id": provider_id,
            "payment_method_id": method_id,
            "token_id": None,
            "amount": float(form["data-amount"]),
            "flow": flow,
            "tokenization_requested": False,
            "landing_route": landing_route,
            "is_validation": False,
            **values,
        },
        cookies,
    )


def start_credit_payment(server, cookies, invoice_id):
    """Open the invoice's page, choose Credits and create the transaction, as the page's JS.

    The session then monitors this transaction: /payment/credit/process accepts no other.
    """
    tags, form = invoice_payment_page(server, cookies, invoice_id)
    offers = tags.all("data-provider-code", "credit", tag="input")
    if not offers:
        raise CreditsRefused(f"the page of invoice {invoice_id} does not offer Credits")
    [credits] = offers
    assert int(credits["data-payment-option-id"]) == server.ref(
        "credit_wallet.payment_method_credit"
    )
    answer = start_invoice_transaction(
        server,
        cookies,
        form,
        int(credits["data-provider-id"]),
        int(credits["data-payment-option-id"]),
        "redirect",
        credit_fingerprint=tags.one("data-credit-fingerprint")["data-credit-fingerprint"],
    )
    try:
        result = rpc_result(answer)
    except RpcError as error:
        raise CreditsRefused(str(error)) from error
    redirect_form = Tags(result["redirect_form_html"])
    fields = {attrs["name"]: attrs["value"] for tag, attrs in redirect_form.found if tag == "input"}
    return CreditPayment(
        cookies=cookies,
        invoice_id=invoice_id,
        reference=result["reference"],
        action=redirect_form.one("action", tag="form")["action"],
        fields=fields,
    )


def submit_credit_payment(server, payment, stats, resubmissions=5):
    """POST the payment form; resubmit it if the request failed after Odoo's retries.

    Every submission ends on the status page, the payment settled or in error.
    """
    for _attempt in range(resubmissions):
        response = requests.post(
            f"{server.url}{payment.action}",
            data=payment.fields,
            cookies=payment.cookies,
            allow_redirects=False,
            timeout=120,
        )
        if response.status_code == 303:
            assert urlsplit(response.headers["Location"]).path == "/payment/status"
            return
        assert response.status_code == 500, f"{response.status_code}: {response.text[:500]}"
        stats["resubmitted"] += 1
    raise AssertionError(f"{payment.reference} still failing after {resubmissions} submissions")
