"""Socket capacity: 1,000 signed-in live connections on one process, and 200 anonymous ones.

Run it from the repository root with the project's virtualenv:

    .venv/bin/python bench/sockets.py                     # 1,000 sockets, 200 anonymous
    .venv/bin/python bench/sockets.py --sockets 200 --seconds 8       # a quick look

It starts everything itself on 127.0.0.1 and stops it again: a throw-away instance directory
with a SQLite database (the demo, plus --accounts members of one organisation, each with a
server-side session made inside the app and its session cookie signed with the app's key), and
the real server with the gunicorn flags of `make run` (read from the Makefile).

Phases, each measuring the same pages for --seconds (home, directory, rooms list, a room,
/healthz; one request at a time, keep-alive, as one browser):
  baseline    no sockets
  sockets     --sockets signed-in WebSockets open (--accounts accounts, from --addresses
              loopback addresses), each connected to Socket.IO and answering its pings
  anonymous   the same, plus --anonymous WebSocket attempts without a session, with the
              site's own Origin, kept open as long as the server lets them and started again
              every --again seconds (an attacker who does not give up)
Output: per phase, page p50/p95/max (ms) and errors; the server worker's memory (RSS) and
threads; how the sockets and the anonymous attempts were answered (HTTP status: count, p95 ms);
then PASS/FAIL for "all sockets open, every anonymous attempt refused, pages p95 < 100 ms".
A miss exits 0 unless --strict. The run is bounded by --timeout seconds; Ctrl-C stops the
server and the clients and removes the temporary files.

The clients are one asyncio process speaking Engine.IO over raw WebSocket frames (a Python
Socket.IO client per connection would cost a few threads each); it answers every ping, so
the server keeps them all, as it would keep a browser's.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAKEFILE_FLAGS = re.compile(r"\$\(BIN\)/gunicorn ((?:.|\\\n)*?)wsgi:app")


# --- inside the app: accounts and their session cookies ----------------------------------------


def prepare_accounts(count: int) -> None:
    """In the server's environment: count members of one organisation, each signed in once.

    Prints one JSON line: the session cookies (Flask's signed cookie holding the key of a
    server-side session, as the login form would set it) and a room id.
    """
    from app import create_app
    from app.auth.passwords import hash_password
    from app.auth.sessions import open_session
    from app.extensions import db
    from app.models import Membership, Organisation, OrgStatus, Role, RoomScope, User
    from app.rooms.services import create_room

    app = create_app()
    with app.app_context():
        password_hash = hash_password("bench-sockets-password-2026")  # one hash: each is ~0.1 s
        org = Organisation(slug="bench", name="Bench", country="HN", status=OrgStatus.APPROVED)
        users = [
            User(email=f"bench-socket-{i}@caravana.example", display_name=f"Bench {i}",
                 locale="en", password_hash=password_hash)
            for i in range(count)
        ]  # fmt: skip
        db.session.add_all([org, *users])
        db.session.add_all(
            Membership(user=u, organisation=org, role=Role.COORDINATOR if i == 0 else Role.MEMBER)
            for i, u in enumerate(users)
        )
        db.session.commit()
        room = create_room(users[0], RoomScope.ORGANISATION, "Bench room", org=org)
        signer = app.session_interface.get_signing_serializer(app)
        name = app.config["SESSION_COOKIE_NAME"]
        cookies = [f"{name}={signer.dumps({'_user_id': open_session(u), '_fresh': True})}"
                   for u in users]  # fmt: skip
        print(json.dumps({"cookies": cookies, "room_id": room.id}))


# --- the clients: Engine.IO over raw WebSocket frames, in asyncio ------------------------------


def frame(text: str, opcode: int = 1) -> bytes:
    """One masked client frame (RFC 6455), final, of text or a control opcode."""
    data, mask = text.encode(), os.urandom(4)
    size = len(data)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    elif size < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next frame from the server: its opcode and payload."""
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        size = int.from_bytes(await reader.readexactly(2), "big")
    elif size == 127:
        size = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4) if second & 0x80 else None
    payload = await reader.readexactly(size)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return first & 0x0F, payload


class Client:
    """One WebSocket: the HTTP upgrade, then Socket.IO's connect, then pongs until closed."""

    def __init__(self, host: str, port: int, cookie: str | None, source: str) -> None:
        self.host, self.port, self.cookie, self.source = host, port, cookie, source
        self.status: int | None = None  # HTTP status of the upgrade answer
        self.connected = False  # Socket.IO connect accepted
        self.answered_in = math.nan  # seconds to the HTTP answer
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task | None = None

    async def open(self, timeout: float) -> None:
        """Ask for the WebSocket; on 101, connect the Socket.IO namespace."""
        began = time.monotonic()
        try:
            reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, local_addr=(self.source, 0)), timeout
            )
            key = base64.b64encode(os.urandom(16)).decode()
            origin = f"http://{self.host}:{self.port}"
            headers = [
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
                f"Host: {self.host}:{self.port}", "Upgrade: websocket", "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", f"Origin: {origin}",
                *([f"Cookie: {self.cookie}"] if self.cookie else []),
            ]  # fmt: skip
            self.writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
            self.answered_in = time.monotonic() - began
            self.status = int(answer.split(b" ", 2)[1])
            if self.status != 101:
                return
            opcode, payload = await asyncio.wait_for(read_frame(reader), timeout)
            if not payload.startswith(b"0"):
                return
            self.writer.write(frame("40"))
            opcode, payload = await asyncio.wait_for(read_frame(reader), timeout)
            self.connected = payload.startswith(b"40")
            if self.connected:  # (a task is kept, or the loop may drop it)
                self.task = asyncio.get_running_loop().create_task(self.answer_pings(reader))
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            pass

    async def answer_pings(self, reader: asyncio.StreamReader) -> None:
        """Keep the connection alive as a browser does: a pong for every ping."""
        try:
            while True:
                opcode, payload = await read_frame(reader)
                if opcode == 8:  # closed by the server
                    self.connected = False
                    return
                if opcode == 9:
                    self.writer.write(frame(payload.decode(errors="replace"), opcode=10))
                elif payload == b"2":
                    self.writer.write(frame("3"))
        except (OSError, asyncio.IncompleteReadError):
            self.connected = False

    def close(self) -> None:
        """Drop the TCP connection."""
        if self.writer is not None:
            self.writer.close()


def addresses(count: int, first: int = 2) -> list[str]:
    """Loopback source addresses 127.0.0.first.. (the whole 127/8 block is local)."""
    return [f"127.0.0.{first + i}" for i in range(count)]


def summary(clients: list[Client]) -> dict:
    """How the attempts were answered: HTTP status -> count, connected, p95 time to answer."""
    statuses = Counter(str(c.status) if c.status else "no answer" for c in clients)
    times = [c.answered_in for c in clients if not math.isnan(c.answered_in)]
    return {"statuses": dict(statuses), "connected": sum(c.connected for c in clients),
            "answer_p95_ms": pct(times, 95)}  # fmt: skip


async def client_main(pipe, host: str, port: int, cookies: list[str], args) -> None:
    """Open the signed-in sockets; on request, run the anonymous attempts; report; close."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(args.concurrency)
    sources = addresses(args.addresses)

    async def opened(client: Client) -> Client:
        async with gate:
            await client.open(30)
        return client

    signed = [Client(host, port, cookies[i % len(cookies)], sources[i % len(sources)])
              for i in range(args.sockets)]  # fmt: skip
    began = time.monotonic()
    await asyncio.gather(*(opened(c) for c in signed))
    pipe.send({"signed_in": summary(signed), "open_s": time.monotonic() - began})
    anonymous: list[Client] = []
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "anonymous":
            deadline = time.monotonic() + args.seconds + 5
            while time.monotonic() < deadline:  # attempts again and again, as an attacker
                wave = [Client(host, port, None, "127.0.0.200") for _ in range(args.anonymous)]
                await asyncio.gather(*(c.open(10) for c in wave))
                anonymous += wave
                if args.again <= 0:
                    break
                await asyncio.sleep(args.again)
            pipe.send({"anonymous": summary(anonymous), "attempts": len(anonymous),
                       "signed_in_still": sum(c.connected for c in signed)})  # fmt: skip
        elif command == "status":
            pipe.send({"signed_in_still": sum(c.connected for c in signed)})
        else:
            for client in signed + anonymous:
                client.close()
            pipe.send("closed")
            return


def client_process(pipe, host: str, port: int, cookies: list[str], args) -> None:
    """The clients' process (its own GIL, so measuring pages is not slowed by it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent cleans up on Ctrl-C
    asyncio.run(client_main(pipe, host, port, cookies, args))


# --- the server and the pages -------------------------------------------------------------------


def makefile_flags() -> list[str]:
    """The gunicorn flags of `make run`, but --bind and the access log."""
    match = MAKEFILE_FLAGS.search((ROOT / "Makefile").read_text())
    if not match:
        raise RuntimeError("no gunicorn command found in the Makefile's run recipe")
    words = match.group(1).replace("\\\n", " ").split()
    flags, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in ("--bind", "-b", "--access-logfile"):
            skip = True
        else:
            flags.append(word)
    return flags


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_pid(master: int) -> int | None:
    """The gunicorn worker (the master's child) that serves the requests and holds sockets."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == str(master):
                return int(stat.parent.name)
        except (OSError, IndexError):
            continue
    return None


def process_figures(pid: int | None) -> dict:
    """Resident memory (MB), threads and CPU seconds so far of a process, from /proc."""
    if pid is None:
        return {"rss_mb": math.nan, "threads": 0, "cpu_s": math.nan}
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "threads": int(fields["Threads"]),
            "cpu_s": cpu}  # fmt: skip


def cpu_percent(pid: int | None, seconds: float) -> float:
    """CPU of a process over the next seconds, in % of one core (it is left alone meanwhile)."""
    before = process_figures(pid)["cpu_s"]
    time.sleep(seconds)
    return 100 * (process_figures(pid)["cpu_s"] - before) / seconds


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return math.nan
    return 1000 * sorted(values)[max(0, math.ceil(len(values) * p / 100) - 1)]


def measure_pages(base: str, pages: dict[str, str], cookie: str, seconds: float) -> dict:
    """One browser going through the pages for some seconds: p50/p95/max per page, errors."""
    session = requests.Session()
    session.headers.update({"Cookie": cookie, "Accept-Encoding": "gzip, deflate"})
    times: dict[str, list[float]] = {name: [] for name in pages}
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, path in pages.items():
            began = time.monotonic()
            try:
                answer = session.get(base + path, timeout=10)
                if answer.status_code != 200:
                    errors[f"{name}: HTTP {answer.status_code}"] += 1
                    continue
            except requests.RequestException as error:
                errors[f"{name}: {type(error).__name__}"] += 1
                continue
            times[name].append(time.monotonic() - began)
            time.sleep(0.05)  # a browser does not hammer
    every = [t for values in times.values() for t in values]
    rows = {name: (len(v), pct(v, 50), pct(v, 95), pct(v, 100)) for name, v in times.items()}
    return {"rows": rows, "all_p95": pct(every, 95), "requests": len(every),
            "errors": dict(errors)}  # fmt: skip


def show_pages(title: str, result: dict) -> None:
    print(f"  pages, {title}: {result['requests']} requests, p95 of all "
          f"{result['all_p95']:.1f} ms, errors {result['errors'] or 0}")  # fmt: skip
    for name, (count, p50, p95, top) in result["rows"].items():
        print(f"    {name:14} n={count:<4} p50 {p50:7.1f}   p95 {p95:7.1f}   max {top:7.1f} ms")


# --- the run ------------------------------------------------------------------------------------


def run(args, tmp: Path) -> bool:
    """Set up, run the three phases, print the figures; return whether the target is met."""
    env = {**os.environ, "CARAVANA_INSTANCE_DIR": str(tmp), "FLASK_APP": "wsgi",
           "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}"}  # fmt: skip
    quiet = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], **quiet)  # noqa: S603
    subprocess.run([str(BIN / "flask"), "seed-demo"], **quiet)  # noqa: S603
    prepared = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--prepare-accounts", str(args.accounts)], **quiet
    )
    setup = json.loads(prepared.stdout.strip().splitlines()[-1])
    cookies = setup["cookies"]
    pages = {"home": "/", "directory": "/organisations/", "rooms list": "/rooms/",
             "a room": f"/rooms/{setup['room_id']}", "healthz": "/healthz"}  # fmt: skip
    flags = makefile_flags()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"server: gunicorn {' '.join(flags)} (as `make run`), {os.cpu_count()} cores, load "
          f"average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), *flags, "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    clients = None
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        worker = worker_pid(server.pid)
        idle = process_figures(worker)
        print(f"worker at rest: RSS {idle['rss_mb']:.0f} MB, {idle['threads']} threads", flush=True)

        baseline = measure_pages(base, pages, cookies[0], args.seconds)
        show_pages("baseline, no sockets", baseline)

        spawn = multiprocessing.get_context("spawn")
        pipe, child = spawn.Pipe()
        clients = spawn.Process(target=client_process, daemon=True,
                                args=(child, "127.0.0.1", port, cookies, args))  # fmt: skip
        clients.start()
        opened = pipe.recv()
        signed = opened["signed_in"]
        print(f"{args.sockets} signed-in sockets ({args.accounts} accounts, {args.addresses} "
              f"addresses) opened in {opened['open_s']:.1f} s: connected {signed['connected']}, "
              f"HTTP {signed['statuses']}, answer p95 {signed['answer_p95_ms']:.0f} ms",
              flush=True)  # fmt: skip
        time.sleep(args.settle)  # a few ping rounds, and the heartbeat, before measuring
        idle_cpu = cpu_percent(worker, 5)
        with_sockets = measure_pages(base, pages, cookies[0], args.seconds)
        held = process_figures(worker)
        health = requests.get(base + "/healthz", timeout=10).json().get("live", {})
        pipe.send("status")
        still = pipe.recv()["signed_in_still"]
        print(f"worker with sockets: RSS {held['rss_mb']:.0f} MB "
              f"(+{held['rss_mb'] - idle['rss_mb']:.0f} MB), {held['threads']} threads, "
              f"CPU {idle_cpu:.0f} % of a core while they only answer pings; "
              f"/healthz live: {health}; still connected: {still}", flush=True)  # fmt: skip
        show_pages(f"with {args.sockets} sockets", with_sockets)

        pipe.send("anonymous")
        with_anonymous = measure_pages(base, pages, cookies[0], args.seconds)
        attacked = pipe.recv()
        anon = attacked["anonymous"]
        print(f"anonymous: {attacked['attempts']} attempts ({args.anonymous} at a time, again "
              f"every {args.again:g} s): HTTP {anon['statuses']}, connected {anon['connected']}, "
              f"answer p95 {anon['answer_p95_ms']:.0f} ms; signed-in sockets still connected: "
              f"{attacked['signed_in_still']}", flush=True)  # fmt: skip
        show_pages(f"with {args.sockets} sockets and anonymous attempts", with_anonymous)
        pipe.send("close")
        pipe.recv()
    finally:
        if clients is not None:
            clients.join(timeout=10)
            if clients.is_alive():
                clients.kill()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if args.keep_log:
            args.keep_log.write_text((tmp / "server.log").read_text())
        errors = [line for line in (tmp / "server.log").read_text().splitlines() if "Error" in line]
        for line in sorted(set(errors))[:5]:
            print(f"  server log: {line[:160]}")

    checks = [
        ("all signed-in sockets connected", signed["connected"] == args.sockets
         and attacked["signed_in_still"] == args.sockets),
        ("every anonymous attempt refused (401)",
         anon["statuses"] == {"401": attacked["attempts"]}),
        ("pages p95 < 100 ms with the sockets", with_sockets["all_p95"] < 100
         and not with_sockets["errors"]),
        ("pages p95 < 100 ms with anonymous attempts too", with_anonymous["all_p95"] < 100
         and not with_anonymous["errors"]),
    ]  # fmt: skip
    print(f"\n{'':52}{'baseline':>10}{'sockets':>10}{'+anonymous':>12}")
    print(f"{'pages p95, all (ms)':52}{baseline['all_p95']:10.1f}{with_sockets['all_p95']:10.1f}"
          f"{with_anonymous['all_p95']:12.1f}")  # fmt: skip
    print(f"{'worker RSS (MB)':52}{idle['rss_mb']:10.0f}{held['rss_mb']:10.0f}")
    print()
    for label, ok in checks:
        print(f"  {label:50}{'PASS' if ok else 'FAIL'}")
    return all(ok for _, ok in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000, help="signed-in sockets")
    parser.add_argument("--accounts", type=int, default=250, help="accounts they belong to")
    parser.add_argument("--addresses", type=int, default=10, help="loopback source addresses")
    parser.add_argument("--anonymous", type=int, default=200, help="anonymous attempts at once")
    parser.add_argument("--again", type=float, default=1.0,
                        help="seconds between waves of anonymous attempts (0: one wave)")
    parser.add_argument("--seconds", type=float, default=20, help="page measuring per phase")
    parser.add_argument("--settle", type=float, default=12,
                        help="seconds with the sockets open before measuring")
    parser.add_argument("--concurrency", type=int, default=50, help="sockets opening at once")
    parser.add_argument("--timeout", type=int, default=600, help="hard limit of the run, s")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log to this file")
    parser.add_argument("--prepare-accounts", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_accounts:
        prepare_accounts(args.prepare_accounts)
        return 0

    def stop(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(args.timeout)
    print(f"sockets: {args.sockets} signed-in + {args.anonymous} anonymous against one process",
          flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="caravana-sockets-") as tmp:
            met = run(args, Path(tmp))
    except KeyboardInterrupt as stopped:
        print(f"\nstopped ({str(stopped) or 'Ctrl-C'}): server, clients and temp files removed")
        return 130
    finally:
        signal.alarm(0)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
