"""Shared helpers for the benchmark scripts: processes, ports, tools, tables, JSON.

Every process a benchmark starts goes through `Processes`, which puts it in its own
process group and kills that group on exit, on Ctrl-C (SIGINT) and on SIGTERM, so a
benchmark never leaves a server behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
LOOPBACK = "127.0.0.1"
INSTALL_HINT = "apt-get install wrk hyperfine"


class BenchError(RuntimeError):
    """A benchmark could not run; the message says why and what to do."""


def log(msg: str) -> None:
    """Progress lines go to stderr, so stdout holds only the report."""
    print(msg, file=sys.stderr, flush=True)


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_signal_handlers() -> None:
    """Turn SIGINT/SIGTERM/SIGHUP into KeyboardInterrupt so every `finally` runs
    (SIGINT too: a shell starts background jobs with it ignored)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)


def require_tool(name: str, hint: str | None = None) -> str:
    """The path of `name` (on PATH or beside this Python), or a BenchError."""
    path = shutil.which(name)
    beside = Path(sys.executable).with_name(name)
    if path is None and beside.exists():
        path = str(beside)
    if path is None:
        raise BenchError(
            f"`{name}` is not installed. Install it with: {hint or INSTALL_HINT}\n"
            "(Debian/Ubuntu: run `apt-get update` first, and use sudo if not root.)"
        )
    return path


def require_modules(*names: str) -> None:
    import importlib.util

    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        raise BenchError(
            f"{sys.executable} lacks {', '.join(missing)}. Run the benchmarks with the "
            "dev environment (scripts/test makes .venv with everything), or "
            f"`pip install -e '.[dev]'` into {sys.executable}."
        )


def find_fastasync(explicit: str | None = None) -> str:
    """The `fastasync` executable: --fastasync, then next to this Python, then PATH."""
    if explicit:
        return explicit
    beside = Path(sys.executable).with_name("fastasync")
    if beside.exists():
        return str(beside)
    found = shutil.which("fastasync")
    if found is None:
        raise BenchError(
            "`fastasync` not found. Install the project (`pip install -e '.[dev]'`) "
            "into the Python running this script, or pass --fastasync PATH."
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def pin_prefix(cpus: str | None) -> list[str]:
    """`taskset -c CPUS` when pinning was asked for and is possible, else nothing."""
    if not cpus:
        return []
    taskset = shutil.which("taskset")
    if taskset is None:
        print("note: taskset not found (util-linux); running unpinned", file=sys.stderr)
        return []
    return [taskset, "-c", cpus]


class Processes:
    """Start processes in their own process groups; kill them all on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(
        self,
        name: str,
        cmd: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("wb")
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.Popen(
            list(cmd),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        # children left in the group (e.g. a process pool's workers)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def stop_all(self) -> None:
        # a second Ctrl-C must not cut the clean-up short
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for _name, proc in reversed(list(self.procs)):
                self.stop(proc)
        finally:
            signal.signal(signal.SIGINT, previous)


def wait_http(
    url: str,
    *,
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = 30.0,
    what: str = "server",
    procs: Processes | None = None,
    name: str | None = None,
) -> None:
    """Poll `url` until it answers 2xx; fail early if `proc` exits."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = procs.log_tail(name) if procs and name else ""
            raise BenchError(f"{what} exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if 200 <= resp.status < 300:
                    return
                last = resp.status
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.1)
    tail = procs.log_tail(name) if procs and name else ""
    raise BenchError(f"{what} did not answer {url} in {timeout:.0f}s ({last}):\n{tail}")


def http_json(
    method: str, url: str, body: dict[str, Any] | None = None, timeout: float = 30.0
) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, dict(resp.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return exc.code, dict(exc.headers), payload


@contextlib.contextmanager
def work_dir(keep: bool = False, prefix: str = "fastasync-bench-") -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            print(f"kept work dir: {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "executable": sys.executable,
    }


def package_versions(*names: str) -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def write_json(name: str, payload: dict[str, Any], path: str | None = None) -> Path:
    """Write to PATH, or to benchmarks/results/NAME-<utc time>.json (git-ignored)."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = Path(path) if path else RESULTS / f"{name}-{stamp}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "utc": stamp,
        "machine": machine_info(),
        "repo": repo_state(),
        **payload,
    }
    target.write_text(json.dumps(payload, indent=2) + "\n")
    return target


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def main_guard(run: Any) -> int:
    """Run `run()`, turning BenchError and Ctrl-C into a message and an exit code."""
    install_signal_handlers()
    try:
        return int(run() or 0)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; every process this benchmark started was stopped.", file=sys.stderr)
        return 130


def run_wrk(
    url: str,
    *,
    connections: int,
    duration: float,
    threads: int = 2,
    timeout: float = 10.0,
    pin: list[str] | None = None,
    script: Path | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run wrk (closed loop, keep-alive) and return its figures from wrk_report.lua.

    `script` replaces wrk_report.lua by a script that loads it (it must print the same
    WRK_JSON line); `env` is added to wrk's environment, for such a script to read."""
    cmd = [
        *(pin or []),
        require_tool("wrk"),
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        f"--timeout={max(1, round(timeout))}s",
        f"--script={script or HERE / 'wrk_report.lua'}",
        url,
    ]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=duration + timeout + 30,
        check=False,
        env={**os.environ, "WRK_REPORT_LUA": str(HERE / "wrk_report.lua"), **(env or {})},
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    seconds = data["duration_us"] / 1e6
    errors = data["errors"]
    lat = data["latency_us"]
    return {
        "rps": data["requests"] / seconds if seconds else 0.0,
        "requests": data["requests"],
        "seconds": seconds,
        "p50_ms": lat["p50"] / 1000,
        "p90_ms": lat["p90"] / 1000,
        "p99_ms": lat["p99"] / 1000,
        "max_ms": lat["max"] / 1000,
        "non_2xx": errors["status"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "errors": errors,
        "command": cmd,
    }


CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _system_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0, 0
    values = [int(v) for v in fields[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _proc_jiffies(pid: int, *, reaped_children: bool = True) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    # utime, stime, then cutime, cstime (reaped children): fields 14-17 of stat(5)
    return sum(int(v) for v in fields[11 : 15 if reaped_children else 13])


def _process_tree(root: int) -> list[int]:
    """`root` and all its descendants (e.g. uvicorn and its job-pool workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _tree_jiffies(root: int) -> dict[int, int]:
    return {pid: _proc_jiffies(pid) for pid in _process_tree(root)}


def _children_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU used during a window, in % of one core: by each given process with its
    descendants, by this script (the probe) and the children it waited for (wrk),
    and by everything else on the machine ("other": other users' work, which makes
    the figures unreliable when it is large)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def __enter__(self) -> CpuMeter:
        self.t0 = time.monotonic()
        self.sys0 = _system_jiffies()[0]
        self.p0 = {k: _tree_jiffies(p) for k, p in self.pids.items()}
        self.self0 = _proc_jiffies(os.getpid(), reaped_children=False)
        self.c0 = _children_seconds()
        self.result: dict[str, float] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        wall = max(time.monotonic() - self.t0, 1e-6)
        machine = (_system_jiffies()[0] - self.sys0) / CLK_TCK
        per = {}
        for key, root in self.pids.items():
            before = self.p0[key]
            after = _tree_jiffies(root)
            per[key] = sum(j - before.get(pid, 0) for pid, j in after.items()) / CLK_TCK
        me = (_proc_jiffies(os.getpid(), reaped_children=False) - self.self0) / CLK_TCK
        children = _children_seconds() - self.c0
        mine = sum(per.values()) + me + children
        self.result = {f"{k}_cpu_pct": v / wall * 100 for k, v in per.items()}
        self.result["bench_cpu_pct"] = (me + children) / wall * 100
        self.result["machine_busy_pct"] = machine / wall * 100
        self.result["other_cpu_pct"] = max(0.0, machine - mine) / wall * 100


def wait_quiet(max_busy_pct: float = 15.0, timeout: float = 60.0) -> float:
    """Wait until the machine is idle (busy < max_busy_pct of one core over 1 s).

    Returns the last busy figure; warns and goes on after `timeout`."""
    deadline = time.monotonic() + timeout
    warned = False
    while True:
        b0 = _system_jiffies()[0]
        time.sleep(1.0)
        busy = (_system_jiffies()[0] - b0) / CLK_TCK * 100
        if busy < max_busy_pct:
            return busy
        if time.monotonic() > deadline:
            print(
                f"warning: the machine is busy with other work ({busy:.0f}% of a "
                "core); figures will be noisy",
                file=sys.stderr,
            )
            return busy
        if not warned:
            print(
                f"waiting for other work on the machine to finish ({busy:.0f}% of a "
                f"core busy; up to {timeout:.0f} s) ...",
                file=sys.stderr,
            )
            warned = True


def start_profiler(
    procs: Processes, name: str, pid: int, out: Path, seconds: float, pin: list[str]
) -> subprocess.Popen[bytes]:
    """py-spy sampling `pid` for `seconds` (raw stacks to `out`; see profile_summary)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return procs.start(
        name,
        [
            *pin,
            require_tool("py-spy", "pip install py-spy"),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds) - 1)),
            "--rate",
            "200",
            "--gil",  # only the thread running Python: the event loop's work
            "--format",
            "raw",
            "--output",
            str(out),
        ],
    )


def profile_summary(path: Path, top: int = 15) -> str:
    """The hottest functions (own time, and with callees) in py-spy's raw output."""
    from collections import Counter

    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    if not path.exists():
        return f"(no profile written to {path})"
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return f"(empty profile {path})"
    lines = [f"profile {path.name}: {samples} samples; top own time:"]
    lines += [f"  {c / samples:6.1%}  {f}" for f, c in own.most_common(top)]
    return "\n".join(lines)


def uvicorn_cmd(app: str, port: int, app_dir: Path) -> list[str]:
    """uvicorn serving `app` on loopback: uvloop, httptools, one worker, no logs."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(app_dir),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def set_nice(increment: int) -> None:
    """Lower (or, as root, raise) the priority of this process and all it starts."""
    if increment:
        try:
            os.nice(increment)
        except PermissionError as exc:
            raise BenchError(f"--nice {increment} needs root") from exc


def repo_state() -> dict[str, Any]:
    """The commit the benchmark ran on, and whether the work tree had changes."""

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(REPO), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout.strip() if proc.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", "src", "templates")
    return {
        "commit": git("rev-parse", "HEAD") or None,
        # uncommitted changes in src/ and templates/ (others' work in progress)
        "uncommitted_src_templates": len(changed.splitlines()),
    }


def file_sha256(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def measure_clean(
    measure: Any,
    *,
    what: str,
    max_other: float,
    retries: int,
    quiet_wait: float,
) -> dict[str, Any]:
    """Run `measure()` (a dict with ["cpu"]["other_cpu_pct"]) again, up to `retries`
    times, while other work on the machine used more than `max_other` % of a core
    during it; the last result is marked `disturbed` if it still did."""
    for attempt in range(retries + 1):
        wait_quiet(timeout=quiet_wait)
        result = measure()
        other = result.get("cpu", {}).get("other_cpu_pct", 0.0)
        result["disturbed"] = other > max_other
        result["attempts"] = attempt + 1
        if not result["disturbed"]:
            return result
        print(
            f"note: {what}: other work used {other:.0f}% of a core during the run"
            + ("; measuring again" if attempt < retries else "; keeping it, marked"),
            file=sys.stderr,
            flush=True,
        )
    return result
