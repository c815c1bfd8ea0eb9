"""The site under load at 100,000 questions / 300,000 answers, page by page, against a floor.

    make bench            (= .venv/bin/python -m bench.site_bench)
    .venv/bin/python -m bench.site_bench --duration 20 --concurrency 2 --only search

1. The corpus (bench/site_corpus.py) is built once and cached; its database is migrated to
   the current schema, then copied with its index, so every run starts from the same state.
2. gunicorn serves `bench.wsgi.create_bench_app()` (the production app plus the floor route) with 2 workers
   and production settings on loopback; `wrk` drives it from another process, one page at a
   time, for a fixed duration and concurrency, after a short warm-up of that page.
3. The floor (a constant string through the same app) runs first and last; each page's p50
   is shown as a multiple of the floor's, so a busy machine shifts both alike.
4. Peak RSS (VmHWM) of each worker and of its Markdown helper process is read at the end.

These are measurements on a shared machine, not tests: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import shutil
import socket
import sqlite3
import string
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.corpus import CACHE, load_pools
from bench.site_corpus import PASSWORD, ensure_site
from bench.wsgi import FLOOR_PATH

ROOT = Path(__file__).resolve().parents[1]
RUN = CACHE / "run"
RESULTS = CACHE / "results"
USER_AGENT = "zennin-bench"
SESSION_COOKIE = "__Host-session"  # ProductionConfig
TOP_TAGS = 10  # tag and experts pages: the most used tags, where the work is

PAGE_TARGET = 5.0  # question and list pages: p50 ≤ 5 × the floor's p50
SEARCH_P95_MS = 100.0
EXPERTS_P95_MS = 150.0
RSS_MB = 300.0


@dataclass
class Scenario:
    name: str
    paths: list[str]
    target: str = ""  # "page", "search", "experts" or "" (measured, no target)
    method: str = "GET"
    bodies: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    scenario: Scenario
    requests: int
    seconds: float
    errors: int
    p50: float  # milliseconds
    p95: float
    p99: float
    load: float  # 1-minute load average right after the run

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


# ---------------------------------------------------------------- what to request


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/?=&%")


def choose_scenarios(database: Path, rng: random.Random) -> list[Scenario]:
    from app.text import slugify
    from search.ja import morph_terms

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    max_id = connection.execute("SELECT max(id) FROM posts WHERE kind = 'question'").fetchone()[0]
    sample = json.dumps([rng.randint(1, max_id) for _ in range(3000)])
    questions = connection.execute(
        "SELECT id, title FROM posts WHERE kind = 'question' AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?))", (sample,)
    ).fetchall()
    tags = [name for (name,) in connection.execute("SELECT name FROM tags ORDER BY question_count DESC LIMIT ?", (TOP_TAGS,))]
    max_user = connection.execute("SELECT max(id) FROM users").fetchone()[0]
    users = [
        user_id
        for (user_id,) in connection.execute(
            "SELECT id FROM users WHERE disabled_at IS NULL AND id IN (SELECT value FROM json_each(?))",
            (json.dumps(rng.sample(range(1, max_user + 1), min(300, max_user))),),
        )
    ]
    tagged = connection.execute(
        "SELECT p.title, t.name FROM posts p JOIN question_tags qt ON qt.question_id = p.id JOIN tags t ON t.id = qt.tag_id "
        "WHERE p.id IN (SELECT value FROM json_each(?))",
        (json.dumps([qid for qid, _title in questions[:600]]),),
    ).fetchall()
    connection.close()

    def words(title: str) -> list[str]:
        return [w for w in dict.fromkeys(morph_terms(title)) if len(w) >= 2 and not w.isdigit() and w.isalnum()]

    one_word, three_words, tag_and_word = [], [], []
    for title, tag in tagged:
        found = words(title)
        if found:
            one_word.append(rng.choice(found))
            tag_and_word.append(f"[{tag}] {rng.choice(found)}")
        if len(found) >= 3:
            three_words.append(" ".join(rng.sample(found, 3)))

    def search(queries: list[str]) -> list[str]:
        return ["/search?" + urllib.parse.urlencode({"q": q}) for q in queries[:80]]

    question_paths = [_quote(f"/questions/{qid}/{slugify(title)}") for qid, title in questions[:500]]
    scenarios = [Scenario("question page", question_paths, "page")]
    for tab in ("newest", "active", "unanswered", "votes"):
        for page in (1, 500):
            scenarios.append(Scenario(f"questions {tab} p{page}", [f"/questions?tab={tab}&page={page}"], "page"))
    scenarios += [
        Scenario("tag page", [_quote(f"/tags/{tag}") for tag in tags], "page"),
        Scenario("tag experts", [_quote(f"/tags/{tag}/experts") for tag in tags], "experts"),
        Scenario("profile", [f"/users/{user_id}" for user_id in users]),
        Scenario("search: one word", search(one_word), "search"),
        Scenario("search: three words", search(three_words), "search"),
        Scenario("search: [tag] word", search(tag_and_word), "search"),
    ]
    return scenarios


def ask_scenario(base: tuple[str, int], rng: random.Random, tags: list[str]) -> Scenario:
    """Logged in as one member: the session cookie and its CSRF token, then real questions."""
    cookie, token = log_in(base, "member00001@bench.lg.jp", PASSWORD)
    pools = load_pools()
    bodies = []
    for _ in range(200):
        body = "\n\n".join("".join(rng.choice(pools.question_sentences) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 3)))
        form = {"csrf_token": token, "title": rng.choice(pools.titles)[:150], "body": body, "tags": " ".join(rng.sample(tags, rng.randint(1, 3)))}
        bodies.append(urllib.parse.urlencode(form))
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    return Scenario("ask (POST, logged in)", ["/questions/ask"], method="POST", bodies=bodies, headers=headers)


def _request(
    base: tuple[str, int], method: str, path: str, body: str | None = None, cookie: str = "", headers: dict | None = None
) -> tuple[int, str, str, dict]:
    """One request: (status, page text, the session cookie after it, response headers)."""
    connection = http.client.HTTPConnection(*base, timeout=120)
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    if cookie:
        sent["Cookie"] = cookie
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        if name == SESSION_COOKIE:
            cookie = f"{SESSION_COOKIE}={rest.split(';', 1)[0]}"
    connection.close()
    return response.status, text, cookie, dict(response.headers)


def _csrf_token(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    if not match:
        raise SystemExit("no CSRF token in the page")
    return match.group(1)


def log_in(base: tuple[str, int], email: str, password: str) -> tuple[str, str]:
    _status, html, cookie, _headers = _request(base, "GET", "/login")
    form = urllib.parse.urlencode({"csrf_token": _csrf_token(html), "email": email, "password": password})
    status, _html, cookie, _headers = _request(base, "POST", "/login", form, cookie)
    if status != 302:
        raise SystemExit(f"bench login failed ({status})")
    status, html, cookie, _headers = _request(base, "GET", "/questions/ask", cookie=cookie)
    if status != 200:
        raise SystemExit(f"the ask page answered {status} after login")
    return cookie, _csrf_token(html)


# ---------------------------------------------------------------- wrk


def _lua_string(text: str) -> str:
    return json.dumps(text)  # ASCII only (paths and forms are percent-encoded): valid Lua too


LUA = string.Template("""
local paths = {$paths}
local bodies = {$bodies}
local headers = {$headers}
local counter = 0
request = function()
  counter = counter + 1
  local body = nil
  if #bodies > 0 then body = bodies[(counter % #bodies) + 1] end
  return wrk.format("$method", paths[math.random(#paths)], headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors": %d, "p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
""")


def run_wrk(base: tuple[str, int], scenario: Scenario, seconds: int, concurrency: int) -> dict:
    headers = {"User-Agent": USER_AGENT, **scenario.headers}
    script = RUN / "scenario.lua"
    script.write_text(
        LUA.substitute(
            paths=", ".join(map(_lua_string, scenario.paths)),
            bodies=", ".join(map(_lua_string, scenario.bodies)),
            headers=", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()),
            method=scenario.method,
        )
    )
    output = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), f"http://{base[0]}:{base[1]}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith("{")))


def measure(base: tuple[str, int], scenario: Scenario, seconds: int, warmup: int, concurrency: int) -> Result:
    if warmup:
        run_wrk(base, scenario, warmup, concurrency)
    raw = run_wrk(base, scenario, seconds, concurrency)
    return Result(
        scenario,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=raw["errors"],
        p50=raw["p50"] / 1000,
        p95=raw["p95"] / 1000,
        p99=raw["p99"] / 1000,
        load=os.getloadavg()[0],
    )


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_run(site: Path) -> tuple[Path, Path]:
    """A fresh copy of the cached database (migrated first) and index for this run."""
    from bench.site_corpus import migrated_copy

    shutil.rmtree(RUN, ignore_errors=True)
    RUN.mkdir(parents=True)
    index = migrated_copy(site, RUN / "zennin.sqlite")
    shutil.copytree(index, RUN / "search-index", symlinks=True)  # `current` is a relative link
    return RUN / "zennin.sqlite", RUN / "search-index"


class Server:
    """gunicorn with the repository's gunicorn.conf.py and production settings, its instance,
    outbox and log in `folder`; `settings` add to the environment (None removes a variable)."""

    def __init__(self, folder: Path, app: str, settings: dict[str, str | None], args: tuple[str, ...] = ()):
        self.port = _free_port()
        self.base = ("127.0.0.1", self.port)
        env = {key: value for key, value in os.environ.items() if key != "TRUSTED_HOSTS"}
        env.update(
            ZENNIN_ENV="production",
            SECRET_KEY=secrets.token_hex(32),
            ZENNIN_INSTANCE_DIR=str(folder / "instance"),
            MAIL_OUTBOX_DIR=str(folder / "outbox"),
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
        )
        for key, value in settings.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        self.log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", *args, app],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _request(self.base, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {folder / 'gunicorn.log'}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def peak_memory(self) -> list[tuple[int, float, list[float]]]:
        """(worker pid, its VmHWM in MB, the VmHWM of its own children: the Markdown helper)."""
        report = []
        for pid in self.workers():
            helpers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            report.append((pid, _vm_hwm(pid), [_vm_hwm(int(child)) for child in helpers]))
        return report

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _vm_hwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------- report


def verdict(result: Result, floor_p50: float) -> str:
    target = result.scenario.target
    if target == "page":
        return "ok" if result.p50 <= PAGE_TARGET * floor_p50 else f"MISSED (> {PAGE_TARGET:g}×)"
    if target == "search":
        return "ok" if result.p95 <= SEARCH_P95_MS else f"MISSED (p95 > {SEARCH_P95_MS:g} ms)"
    if target == "experts":
        return "ok" if result.p95 <= EXPERTS_P95_MS else f"MISSED (p95 > {EXPERTS_P95_MS:g} ms)"
    return ""


def print_table(results: list[Result], floor_p50: float) -> None:
    print(f"\n{'page':<26} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50/floor':>9} {'errors':>6}  target")
    for result in results:
        print(
            f"{result.scenario.name:<26} {result.rate:7.1f} {result.p50:8.1f} {result.p95:8.1f} {result.p99:8.1f}"
            f" {result.p50 / floor_p50:8.1f}× {result.errors:6d}  {verdict(result, floor_p50)}"
        )


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    return f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per page")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per page, not measured")
    parser.add_argument("--concurrency", type=int, default=2, help="connections kept busy (2 = one per worker)")
    parser.add_argument("--only", default="", help="run only the pages whose name contains this text (and the floor)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached corpus")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    started = time.perf_counter()
    print(f"machine: {machine()}")
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    site, manifest = ensure_site(args.questions, args.rebuild)
    database, index = prepare_run(site)
    rng = random.Random(7)
    scenarios = [s for s in choose_scenarios(database, rng) if args.only in s.name]
    # --max-requests 0: no worker recycling during a run, so every worker's peak memory is the
    # whole run's (production recycles every ~2,000 requests).
    server = Server(
        RUN,
        "bench.wsgi:create_bench_app()",
        {"DATABASE_URL": f"sqlite:///{database}", "SEARCH_INDEX_DIR": str(index), "WEB_CONCURRENCY": "2", "TRUSTED_PROXY_COUNT": None},
        args=("--max-requests", "0"),
    )
    try:
        print(f"gunicorn: 2 workers on 127.0.0.1:{server.port}, pids {server.workers()}; "
              f"wrk: {args.concurrency} connections, {args.warmup} s warm-up + {args.duration} s per page")  # fmt: skip
        floor = Scenario("floor (start)", [FLOOR_PATH])
        if not args.only or args.only in "ask (POST, logged in)":
            connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            tags = [name for (name,) in connection.execute("SELECT name FROM tags ORDER BY question_count DESC LIMIT 50")]
            connection.close()
            scenarios.append(ask_scenario(server.base, rng, tags))
        results = []
        for scenario in [floor, *scenarios, Scenario("floor (end)", [FLOOR_PATH])]:
            result = measure(server.base, scenario, args.duration, args.warmup, args.concurrency)
            results.append(result)
            print(f"  {scenario.name:<26} {result.rate:7.1f} req/s  p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms"
                  f"  errors {result.errors}  (load {result.load:.1f})", flush=True)  # fmt: skip
        memory = server.peak_memory()
    finally:
        server.stop()

    floor_p50 = (results[0].p50 + results[-1].p50) / 2
    print_table(results, floor_p50)
    loads = [r.load for r in results]
    print(f"\nfloor p50 {floor_p50:.2f} ms (start {results[0].p50:.2f}, end {results[-1].p50:.2f}); "
          f"load average during the run {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} CPUs")  # fmt: skip
    for pid, peak, helpers in memory:
        helper = f", its Markdown helper {max(helpers):.0f} MB" if helpers else ""
        print(f"worker {pid}: peak RSS {peak:.0f} MB{helper}  {'ok' if peak <= RSS_MB else f'MISSED (> {RSS_MB:g} MB)'}")
    print(f"corpus: built in {manifest['corpus_seconds']} s; search index {manifest['index_seconds']} s = "
          f"{manifest['index_rate']} questions/s (app.indexing.rebuild, procs=2)")  # fmt: skip
    print(f"make bench: {time.perf_counter() - started:.0f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": vars(args),
        "floor_p50_ms": floor_p50,
        "results": [
            {"page": r.scenario.name, "req_s": round(r.rate, 1), "p50": r.p50, "p95": r.p95, "p99": r.p99, "errors": r.errors, "load": r.load}
            for r in results
        ],
        "peak_rss_mb": [{"pid": pid, "worker": peak, "helpers": helpers} for pid, peak, helpers in memory],
        "corpus": manifest,
    }
    path = RESULTS / f"{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
