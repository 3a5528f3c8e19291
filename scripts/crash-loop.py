#!/usr/bin/env python3
"""Crash loop: kill -9 kaim while integrators write, then prove nothing acknowledged was lost.

Each run starts `kaim serve`, lets writers send `importInteractions` batches and single
`recordInteraction` calls (each row with its own `source`/`externalId`), kills the server with
SIGKILL at a random moment, starts it again, and checks every call against the database:

- acknowledged: kaim answered with success; every row of the call must be stored, once;
- unanswered: the connection broke first; the call is sent again (it is idempotent) and must
  then be acknowledged and stored once;
- refused: kaim answered with an error; none of its rows may be stored.

It reports acknowledged / lost / duplicated / partial per run and in all, and exits 1 when
anything was lost, duplicated or half-written.

    scripts/crash-loop.py                       # SQLite, 5 runs
    scripts/crash-loop.py --runs 15 --postgres postgres://postgres@127.0.0.1:5432/test

Only the standard library; `psql` for PostgreSQL. Traffic goes to 127.0.0.1 only.
"""

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

SECRET = "crash-loop-secret-that-is-long-enough-for-hs256-0123456789"
SOURCE = "crash-loop"
IMPORT = """mutation($inputs: [RecordInteractionInput!]!) {
  importInteractions(inputs: $inputs) { created unchanged } }"""
RECORD = """mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { id } }"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kaim:
    """One `kaim serve` process on the run's database."""

    def __init__(self, binary, env):
        self.binary, self.env = binary, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [binary, "serve"],
            env={**env, "KAIM_LISTEN": f"127.0.0.1:{self.port}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise SystemExit("kaim did not become ready")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def graphql(url, token, query, variables, timeout=30):
    """The response body, or None when no answer came (the server died mid-call)."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, ConnectionError, OSError, json.JSONDecodeError):
        return None


class Store:
    """Reads the stored external ids of the crash loop's rows straight from the database."""

    def __init__(self, sqlite_file=None, postgres=None):
        self.sqlite_file, self.postgres = sqlite_file, postgres

    def counts(self):
        query = f"SELECT external_id, COUNT(*) FROM interactions WHERE source = '{SOURCE}' GROUP BY external_id"
        if self.sqlite_file:
            with sqlite3.connect(self.sqlite_file) as db:
                return dict(db.execute(query).fetchall())
        out = subprocess.run(
            ["psql", self.postgres, "-Atc", query, "-F", "\t"],
            check=True, capture_output=True, text=True,
        ).stdout
        return {k: int(v) for k, v in (line.split("\t") for line in out.splitlines() if line)}


def row(client_id, external_id):
    return {
        "clientId": client_id,
        "kind": "CALL",
        "occurredAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "summary": "crash loop",
        "source": SOURCE,
        "externalId": external_id,
    }


def writer(url, token, clients, calls, stop, rng):
    """Sends calls until `stop`; appends (kind, variables, ids, outcome) to `calls`."""
    while not stop.is_set():
        if rng.random() < 0.5:
            ids = [uuid.uuid4().hex for _ in range(rng.choice([10, 100, 500]))]
            variables = {"inputs": [row(rng.choice(clients), i) for i in ids]}
            body = graphql(url, token, IMPORT, variables)
            kind = "import"
        else:
            ids = [uuid.uuid4().hex]
            variables = {"input": row(rng.choice(clients), ids[0])}
            body = graphql(url, token, RECORD, variables)
            kind = "record"
        if body is None:
            outcome = "unanswered"
        elif body.get("errors"):
            outcome = "refused"
        else:
            outcome = "acknowledged"
        calls.append((kind, variables, ids, outcome))


def run_once(number, binary, env, store, token, clients, writers, rng):
    server = Kaim(binary, env)
    calls, stop = [], threading.Event()
    threads = [
        threading.Thread(target=writer, args=(server.url, token, clients, calls, stop, random.Random(rng.random())))
        for _ in range(writers)
    ]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(1.0, 3.0))
    server.kill()
    stop.set()
    for t in threads:
        t.join()

    server = Kaim(binary, env)
    retried = 0
    for i, (kind, variables, ids, outcome) in enumerate(calls):
        if outcome != "unanswered":
            continue
        query = IMPORT if kind == "import" else RECORD
        body = graphql(server.url, token, query, variables)
        if body is None or body.get("errors"):
            raise SystemExit(f"run {number}: a retried call failed: {body}")
        calls[i] = (kind, variables, ids, "acknowledged")
        retried += 1
    stored = store.counts()
    server.stop()

    report = {"calls": len(calls), "acknowledged": 0, "retried": retried, "refused": 0,
              "rows": 0, "lost": 0, "duplicated": 0, "partial": 0}
    for kind, variables, ids, outcome in calls:
        present = [stored.get(i, 0) for i in ids]
        report["duplicated"] += sum(1 for n in present if n > 1)
        if outcome == "acknowledged":
            report["acknowledged"] += 1
            report["rows"] += len(ids)
            report["lost"] += sum(1 for n in present if n == 0)
        else:
            report["refused"] += 1
            if any(present) and not all(present):
                report["partial"] += 1
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a fresh database is made on its server")
    parser.add_argument("--binary", default="target/release/kaim")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "--locked"], check=True)
    rng = random.Random(args.seed)

    data_dir = tempfile.mkdtemp(prefix="kaim-crash-")
    env = {**os.environ, "KAIM_DATA_DIR": data_dir, "KAIM_JWT_SECRET": SECRET, "RUST_LOG": "error"}
    env.pop("KAIM_DATABASE_URL", None)
    if args.postgres:
        name = f"kaim_crash_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", args.postgres, "-qc", f"CREATE DATABASE {name}"], check=True)
        url = args.postgres.rsplit("/", 1)[0] + "/" + name
        env["KAIM_DATABASE_URL"] = url
        store = Store(postgres=url)
    else:
        store = Store(sqlite_file=os.path.join(data_dir, "kaim.db"))

    token = subprocess.run(
        [args.binary, "token", "--role", "INTEGRATOR", "--name", "crash loop"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    admin = subprocess.run(
        [args.binary, "token", "--role", "ADMIN", "--name", "crash loop admin"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    server = Kaim(args.binary, env)
    clients = []
    for i in range(12):
        body = graphql(server.url, admin, "mutation($i: CreateClientInput!) { createClient(input: $i) { id } }",
                       {"i": {"name": f"Crash Loop {i}"}})
        clients.append(body["data"]["createClient"]["id"])
    server.stop()

    totals = {}
    for number in range(1, args.runs + 1):
        report = run_once(number, args.binary, env, store, token, clients, args.writers, rng)
        print(f"run {number}: " + ", ".join(f"{k} {v}" for k, v in report.items()), flush=True)
        for k, v in report.items():
            totals[k] = totals.get(k, 0) + v
    print("all runs: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    if args.postgres:
        subprocess.run(["psql", args.postgres, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=False)
    bad = totals["lost"] + totals["duplicated"] + totals["partial"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
