"""A batch killed at random moments, then run again: what is left behind, and whether the next run mends it.

Builds N bureaus (default 40, the scale benchmark's builder) and runs one clean batch.
Then, for each signal asked for (default: SIGKILL, SIGINT, SIGTERM), ``--rounds`` times:

1. starts ``zongjie batch`` — with ``--force`` or after editing a few bureaus' parameter
   files, sometimes with ``--pdf`` when LibreOffice is installed — and sends the signal
   at a seeded random moment: during start-up, during ledger validation, in the middle
   of the notebooks, or at the end (the last notebooks, the workers leaving,
   ``summary.csv`` and ``index.html`` written). SIGKILL and SIGTERM go to the main process alone (``kill -9 PID``,
   ``kill PID``); SIGINT goes to the batch's process group, as Ctrl-C in a terminal does;
2. waits up to ``--linger`` seconds for every process of that batch to end: the main
   process, pool workers, multiprocessing's resource tracker, kernels, LibreOffice and
   its bridge — found by a marker in their environment, so processes that lost their
   parent are found too — and records which were left and how long each kind took to go
   (any still alive are then killed, so the next round starts clean);
3. checks what the signal left on disk (no ``.tmp`` or other stray file, no notebook
   that does not parse) and, for SIGINT and SIGTERM, the stop itself (seconds, exit
   code, ``summary.csv`` and ``index.html`` written with the unfinished marked 已中断);
4. runs a plain ``batch`` and checks it: exit code 0, every bureau's ``result.json`` ok
   and its files there with their recorded sizes and digests, every ``report.ipynb``
   parsing with all code cells executed, ``summary.csv`` one ``ok`` row per bureau,
   ``index.html``, the overview and 汇总表 present, nothing stray, no process left, and
   nothing left in the batches' own TMPDIR (what the stopped batch left there included).

Prints a table of the rounds and a verdict. Not a timed test: run it by hand.

Run: .venv/bin/python benchmarks/faults.py [--rounds 10] [--bureaus 40] [--signals KILL,INT,TERM]
     [--seed 11] [--jobs N] [--linger 5] [--no-pdf] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
YEAR = 2021
#: Set in the environment of every batch this script starts; children inherit it.
MARK = "ZONGJIE_FAULTS_MARK"
POLL = 0.03

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))
from scale import build  # noqa: E402  (the scale benchmark's fictional bureaus)

from toolkit.run.execute import complete, recorded  # noqa: E402

# --- processes -----------------------------------------------------------------------------


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _state(pid: int) -> str:
    """The process's state letter, "" when it is gone."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    return stat.rsplit(b")", 1)[1].split()[0].decode()


def alive(pid: int) -> bool:
    return _state(pid) not in ("", "Z", "X")  # a zombie has ended; only its parent's wait is missing


def kind(pid: int) -> str:
    """What a process of the batch is, from its command line."""
    cmd = _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace")
    if "ipykernel" in cmd:
        return "kernel"
    if "resource_tracker" in cmd:
        return "tracker"
    if "multiprocessing" in cmd or "spawn_main" in cmd:
        return "worker"
    if "unobridge" in cmd:
        return "uno-bridge"
    if "soffice" in cmd or "oosplash" in cmd:
        return "soffice"
    if "zongjie" in cmd and " batch " in f"{cmd} ":
        return "main"
    return cmd.split(" ", 1)[0].rsplit("/", 1)[-1] or "?"


class Watch:
    """Every process carrying this watch's marker, with its kind, as they come and go."""

    def __init__(self, token: str):
        self.needle = f"{MARK}={token}".encode()
        self.seen: dict[int, str] = {}
        self._checked: set[tuple[int, bytes]] = set()

    def scan(self) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            stat = _read(f"/proc/{pid}/stat")
            if not stat:
                continue
            start = stat.rsplit(b")", 1)[1].split()[19]  # start time: a reused pid is another process
            if (pid, start) in self._checked:
                continue
            self._checked.add((pid, start))
            if self.needle in _read(f"/proc/{pid}/environ").split(b"\0"):
                self.seen[pid] = kind(pid)

    def living(self) -> dict[int, str]:
        return {pid: k for pid, k in self.seen.items() if alive(pid)}


@dataclass
class Gone:
    """How the processes of one batch ended after the signal."""

    counts: dict[str, int] = field(default_factory=dict)  # kind → processes alive at the signal
    slowest: dict[str, float] = field(default_factory=dict)  # kind → seconds until the last one ended
    left: dict[str, int] = field(default_factory=dict)  # kind → still alive after the linger
    main: float = 0.0  # seconds from the signal to the main process's end

    def text(self) -> str:
        if not self.counts:
            return "none running"
        parts = []
        for k in sorted(self.counts):
            took = self.slowest.get(k)
            parts.append(f"{k}×{self.counts[k]} {'LEFT' if k in self.left else f'{took:.1f}s'}")
        return ", ".join(parts)


def linger(
    watch: Watch, since: float, seconds: float, living: dict[int, str], process: subprocess.Popen[bytes]
) -> Gone:
    """Follow the batch's processes from the signal (``since``) until all have ended, or until
    ``seconds`` after the main process ended (it gets a minute); kill those left.

    ``living``: the processes alive when the signal went (taken just before sending it).
    """
    living = dict(living)
    gone = Gone()
    for k in living.values():
        gone.counts[k] = gone.counts.get(k, 0) + 1
    ended: float | None = None
    while True:
        now = time.monotonic()
        if ended is None and process.poll() is not None:
            ended = now
            gone.main = now - since
        watch.scan()  # a process started just before the signal
        for pid, k in list(watch.living().items()):
            if pid not in living:
                living[pid] = k
                gone.counts[k] = gone.counts.get(k, 0) + 1
        for pid, k in list(living.items()):
            if not alive(pid):
                del living[pid]
                gone.slowest[k] = max(gone.slowest.get(k, 0.0), now - since)
        if ended is not None and not living:
            break
        if (ended is not None and now - ended >= seconds) or now - since >= 60 + seconds:
            break
        time.sleep(POLL)
    for pid, k in living.items():
        gone.left[k] = gone.left.get(k, 0) + 1
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # ours (marked): clean up for the next round
    process.wait()
    return gone


# --- files ---------------------------------------------------------------------------------


def stray(out: Path) -> list[str]:
    """Files a run should never leave: temporary files and hidden leftovers of an interrupted write."""
    found = []
    for path in out.rglob("*"):
        name, rel = path.name, path.relative_to(out)
        if ".zongjie" in rel.parts and not name.endswith(".tmp"):
            continue
        if name.endswith(".tmp") or (name.startswith(".") and not name.startswith(".previous.")):
            found.append(str(rel))
    return found


def torn_notebooks(out: Path) -> list[str]:
    """Notebooks that do not parse (truncated, empty)."""
    import nbformat

    found = []
    for path in out.rglob("*.ipynb"):
        try:
            nbformat.read(path, as_version=4)
        except Exception:  # any reason it cannot be read is the finding
            found.append(str(path.relative_to(out)))
    return found


def executed(path: Path) -> bool:
    """Whether the notebook parses and every code cell with code in it ran."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return False
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    return bool(cells) and all(c.get("execution_count") is not None for c in cells)


def summary_rows(year_dir: Path) -> list[dict[str, str]] | None:
    from toolkit.run.batch import read_summary

    try:
        return read_summary(year_dir / "summary.csv")
    except OSError:
        return None


def verify(out: Path, codes: list[str], since: float) -> list[str]:
    """Everything wrong with a year's outputs after a batch that should have finished them all."""
    year = out / str(YEAR)
    problems = []
    for code in codes:
        folder = year / code
        result = recorded(folder)
        if result is None or not result.ok:
            problems.append(f"{code}: no ok result.json")
            continue
        if not complete(folder, result):
            problems.append(f"{code}: files differ from result.json")
        for name in ("report.ipynb", "report.html", "report.docx", "figures.json"):
            if name not in result.files:
                problems.append(f"{code}: {name} not recorded")
        if not executed(folder / "report.ipynb"):
            problems.append(f"{code}: report.ipynb not fully executed")
    rows = summary_rows(year)
    if rows is None:
        problems.append("summary.csv missing")
    else:
        listed = sorted(r["bureau"] for r in rows)
        if listed != sorted(codes):
            problems.append(f"summary.csv lists {len(listed)} bureaus, not the {len(codes)}")
        bad = [r["bureau"] for r in rows if r["status"] != "ok"]
        if bad:
            problems.append(f"summary.csv not ok: {', '.join(bad[:5])}")
        if (year / "summary.csv").stat().st_mtime < since:
            problems.append("summary.csv not rewritten")
    index = year / "index.html"
    if not index.is_file() or index.stat().st_mtime < since:
        problems.append("index.html missing or old")
    elif any(code not in index.read_text(encoding="utf-8") for code in codes):
        problems.append("index.html misses bureaus")
    if not executed(year / "overview.ipynb") or not (year / "overview.html").is_file():
        problems.append("overview missing or not executed")
    try:
        json.loads((year / "汇总表.json").read_text(encoding="utf-8"))
        zipfile.ZipFile(year / "汇总表.docx").testzip()
    except (OSError, ValueError, zipfile.BadZipFile):
        problems.append("汇总表 missing or broken")
    problems += [f"stray {p}" for p in stray(out)]
    return problems


# --- one round -----------------------------------------------------------------------------

PHASES = ("startup", "validation", "notebooks", "notebooks", "tail")


@dataclass
class Round:
    signal: str
    options: str
    phase: str
    variant: str = ""  # "group": kill -9 of the process group; "twice": Ctrl-C pressed again
    at: str = ""  # when the signal went, and what the batch had done by then
    stop: str = ""  # SIGINT/SIGTERM: exit code and seconds to stop; what the stop wrote
    gone: Gone = field(default_factory=Gone)
    after_kill: list[str] = field(default_factory=list)
    rerun: str = ""
    problems: list[str] = field(default_factory=list)

    #: entries the stopped batch left in its TMPDIR (the next batch should remove them)
    temp_left: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.gone.left


class World:
    def __init__(self, root: Path, bureaus: int, jobs: int | None):
        self.data, self.params, self.codes = build(bureaus, root)
        self.out = root / "out"
        self.temp = root / "tmp"  # the batches' TMPDIR, so what they leave there is theirs
        self.temp.mkdir(exist_ok=True)
        self.log = root / "stderr.txt"
        self.jobs = jobs

    @property
    def year_dir(self) -> Path:
        return self.out / str(YEAR)

    def command(self, *extra: str) -> list[str]:
        cmd = [str(BIN / "zongjie"), "batch", "--data", str(self.data), "--params", str(self.params)]
        cmd += ["--year", str(YEAR), "--out", str(self.out), *extra]
        return cmd + (["--jobs", str(self.jobs)] if self.jobs else [])

    def start(self, token: str, *extra: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, MARK: token, "TMPDIR": str(self.temp)}
        with open(self.log, "wb") as log:
            return subprocess.Popen(
                self.command(*extra),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,  # a group of its own, as a terminal's foreground job
            )

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def fresh(self, name: str, since: float) -> bool:
        try:
            return (self.year_dir / name).stat().st_mtime >= since
        except OSError:
            return False

    def fresh_results(self, since: float) -> int:
        return sum(self.fresh(f"{code}/result.json", since) for code in self.codes)

    def edit(self, codes: list[str], tag: str) -> None:
        """Change these bureaus' liaison, so a plain batch reruns them (and only them)."""
        for code in codes:
            path = self.params / "bureaus" / f"{code}.yaml"
            lines = path.read_text(encoding="utf-8").splitlines()
            lines = [f"liaison: 联络员{tag}" if line.startswith("liaison:") else line for line in lines]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_plain(world: World) -> tuple[int, float, str, Gone]:
    token = uuid.uuid4().hex
    watch = Watch(token)
    start = time.monotonic()
    process = world.start(token)
    while process.poll() is None:
        watch.scan()
        time.sleep(0.2)
    seconds = time.monotonic() - start
    gone = linger(watch, time.monotonic(), 5.0, watch.living(), process)
    return process.returncode, seconds, world.stderr(), gone


def mapped(pid: int, needle: bytes) -> bool:
    return needle in _read(f"/proc/{pid}/maps")


def play(world: World, sig: signal.Signals, number: int, rng: random.Random, pdf: bool, calibre: dict) -> Round:
    extra: list[str] = []
    force = rng.random() < 0.5
    if force:
        extra.append("--force")
        jobs = len(world.codes)
    else:
        jobs = rng.randint(4, 14)
        world.edit(rng.sample(world.codes, jobs), f"{sig.name}{number}")
    if pdf and rng.random() < 0.3:
        extra.append("--pdf")
        jobs = len(world.codes)  # --pdf is part of every bureau's fingerprint
    phase = rng.choice(PHASES)
    name = {signal.SIGKILL: "KILL", signal.SIGINT: "INT", signal.SIGTERM: "TERM"}[sig]
    result = Round(name, " ".join(o.lstrip("-") for o in extra) or f"edit {jobs}", phase)
    group = sig == signal.SIGKILL and rng.random() < 0.3
    again = sig == signal.SIGINT and rng.random() < 0.3
    result.variant = "group" if group else "twice" if again else ""

    # when to send the signal, as a condition on what the batch has done, then a delay
    plan_at = calibre["plan"]
    if phase == "startup":
        trigger, delay = (lambda t, since: True), rng.uniform(0.05, 0.5 * plan_at)
    elif phase == "validation":
        trigger, delay = (lambda t, since: True), rng.uniform(0.5 * plan_at, 1.05 * plan_at)
    elif phase == "notebooks":
        k = rng.randint(1, max(1, jobs - 1))
        trigger, delay = (lambda t, since: world.fresh_results(since) >= k), rng.uniform(0, 0.8)
    else:  # the last notebooks (the overview's), the workers leaving, summary.csv and index.html
        trigger, delay = (lambda t, since: world.fresh_results(since) >= jobs), rng.uniform(0, 2.0)

    token = uuid.uuid4().hex
    watch = Watch(token)
    since = time.time() - 0.05  # anything this run writes is newer
    start = time.monotonic()
    process = world.start(token, *extra)
    fired: float | None = None
    while process.poll() is None:
        now = time.monotonic()
        watch.scan()
        if fired is None and trigger(now - start, since):
            fired = now
        if fired is not None and now - fired >= delay:
            break
        time.sleep(POLL)
    if process.poll() is not None:
        result.at = f"finished first (exit {process.returncode}, {time.monotonic() - start:.1f}s)"
        linger(watch, time.monotonic(), 5.0, watch.living(), process)
    else:
        pid = process.pid
        watch.scan()
        if not world.fresh(".zongjie/ledgers.pkl", since):
            done = "validating" if mapped(pid, b"pandas/_libs") else "starting"
        else:
            n = world.fresh_results(since)
            done = f"{n}/{jobs} done" if n < jobs else "all done"
            for name_, label in (("overview.html", "+overview"), ("汇总表.json", "+汇总表"), ("summary.csv", "+csv")):
                if world.fresh(name_, since):
                    done += label
        before = watch.living()
        sent = time.monotonic()
        if sig == signal.SIGINT:
            os.killpg(pid, sig)  # Ctrl-C reaches the terminal's whole foreground group
            if again:  # an impatient user presses it again
                time.sleep(0.3)
                if process.poll() is None:
                    os.killpg(pid, sig)
        elif sig == signal.SIGKILL and group:
            os.killpg(pid, sig)  # kill -9 -PGID: the main process, its workers and resource tracker at once
        else:
            os.kill(pid, sig)
        result.at = f"{sent - start:5.1f}s {done}"
        result.gone = linger(watch, sent, LINGER, before, process)
        if result.gone.main > 60:
            result.problems.append("main process still running 60 s after the signal")
        if sig != signal.SIGKILL:
            result.stop = stop_report(world, sig, process.returncode, result.gone.main, since, world.stderr())
            if result.stop.startswith("!"):
                result.problems.append(result.stop[1:])
    torn = torn_notebooks(world.out)
    result.after_kill = [f"torn {p}" for p in torn] + [f"stray {p}" for p in stray(world.out)]
    if torn or (result.after_kill and sig != signal.SIGKILL):  # kill -9 may cut a .tmp short; nothing else may
        result.problems.append(f"after the signal: {', '.join(result.after_kill)}")
    result.temp_left = sorted(p.name for p in world.temp.iterdir())  # left for the next batch to remove

    since = time.time() - 0.05
    code, seconds, err, gone = run_plain(world)
    rows = summary_rows(world.year_dir) or []
    reused = sum(r.get("reused") == "是" for r in rows)
    result.rerun = f"exit {code} in {seconds:.0f}s, {len(rows) - reused} run/{reused} reused"
    if code != 0:
        result.problems.append(f"plain batch exit {code}: {err.strip().splitlines()[-1:]}")
    if gone.left:
        result.problems.append(f"plain batch left {gone.left}")
    result.problems += verify(world.out, world.codes, since)
    result.problems += [f"left in TMPDIR after the plain batch: {p.name}" for p in world.temp.iterdir()]
    for path in world.temp.iterdir():  # reported; the next round starts empty
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return result


def stop_report(world: World, sig: signal.Signals, code: int, seconds: float, since: float, err: str) -> str:
    """How a batch told to stop stopped; a leading "!" marks a failure."""
    expected = 128 + int(sig)
    said = f"exit {code} in {seconds:.1f}s"
    if "Traceback" in err:
        return f"!{said}, traceback: {err.strip().splitlines()[-1]}"
    if seconds > 10:
        return f"!{said}: too slow"
    rows = summary_rows(world.year_dir) if world.fresh("summary.csv", since) else None
    if code == 0:  # the signal came as the summary was written: it finished
        return f"{said} (finished)" if rows is not None else f"!{said} without summary.csv"
    if code != expected:
        return f"!{said}, expected {expected}"
    if rows is None:
        return f"{said}, no summary (stopped before planning)"
    statuses = {r["status"] for r in rows}
    if not statuses <= {"ok", "interrupted"} or sorted(r["bureau"] for r in rows) != sorted(world.codes):
        return f"!{said}, summary.csv inconsistent: {sorted(statuses)}"
    if any(r["status"] == "interrupted" and "已中断" not in r["error"] for r in rows):
        return f"!{said}, interrupted rows not marked 已中断"
    if not world.fresh("index.html", since):
        return f"!{said}, no index.html"
    for r in rows:
        if r["status"] == "ok":
            folder = world.year_dir / r["bureau"]
            result = recorded(folder)
            if result is None or not complete(folder, result):
                return f"!{said}, {r['bureau']} marked ok but incomplete"
    stopped = sum(r["status"] == "interrupted" for r in rows)
    return f"{said}, summary {len(rows) - stopped} ok/{stopped} 已中断"


LINGER = 5.0


def main() -> None:
    global LINGER
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="rounds per signal")
    parser.add_argument("--bureaus", type=int, default=40)
    parser.add_argument("--signals", default="KILL,INT,TERM", help="comma-separated: KILL, INT, TERM")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--jobs", type=int, default=None, help="batch workers (default: one per core)")
    parser.add_argument("--linger", type=float, default=5.0, help="seconds processes get to end after the signal")
    parser.add_argument("--no-pdf", action="store_true", help="never add --pdf")
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    args = parser.parse_args()
    LINGER = args.linger
    from toolkit.publish import pdf

    use_pdf = not args.no_pdf and pdf.available()
    signals = [getattr(signal, f"SIG{s.strip().upper()}") for s in args.signals.split(",") if s.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="zongjie-faults-")) if args.keep is None else args.keep
    rounds: list[Round] = []
    try:
        world = World(tmp, args.bureaus, args.jobs)
        began = time.time()
        code, seconds, err, _gone = run_plain(world)
        problems = verify(world.out, world.codes, began - 1)
        if code != 0 or problems:
            sys.exit(f"the first batch failed (exit {code}): {problems[:5]} {err[-400:]}")
        left = sorted(p.name for p in world.temp.iterdir())
        if left:
            print(f"the first batch left in TMPDIR: {', '.join(left)}")
            for path in world.temp.iterdir():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        # when planning was done, to place start-up and validation kills
        calibre = {"plan": max(0.5, (world.year_dir / ".zongjie" / "ledgers.pkl").stat().st_mtime - began)}
        print(
            f"{len(world.codes)} bureaus; first batch {seconds:.1f} s, plan ready after ~{calibre['plan']:.1f} s; "
            f"--pdf {'in some rounds' if use_pdf else 'never (LibreOffice not available)'}; seed {args.seed}",
            flush=True,
        )
        rng = random.Random(args.seed)
        for sig in signals:
            for number in range(1, args.rounds + 1):
                r = play(world, sig, number, rng, use_pdf, calibre)
                rounds.append(r)
                show(r, number)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    verdict(rounds)


def show(r: Round, number: int) -> None:
    how = r.signal + (f"/{r.variant}" if r.variant else "")
    head = f"{how:<10} {number:>2}  {r.options:<12} {r.phase:<10} {r.at:<34}"
    print(f"{head} | {r.gone.text()}", flush=True)
    if r.stop:
        print(f"{'':>10}stop: {r.stop}", flush=True)
    temp = f"; TMPDIR: {len(r.temp_left)} left" if r.temp_left else ""
    print(f"{'':>10}after: {', '.join(r.after_kill) or 'clean'}{temp} | rerun: {r.rerun}", flush=True)
    for p in r.problems:
        print(f"{'':>10}PROBLEM: {p}", flush=True)


def verdict(rounds: list[Round]) -> None:
    print()
    for name in dict.fromkeys(r.signal for r in rounds):
        mine = [r for r in rounds if r.signal == name]
        slowest: dict[str, float] = {}
        for r in mine:
            for k, s in r.gone.slowest.items():
                slowest[k] = max(slowest.get(k, 0.0), s)
        left = sum(sum(r.gone.left.values()) for r in mine)
        dirty = sum(bool(r.after_kill) for r in mine)
        temp = sum(len(r.temp_left) for r in mine)
        bad = sum(bool(r.problems) for r in mine)
        times = ", ".join(f"{k} {s:.1f}s" for k, s in sorted(slowest.items())) or "-"
        print(
            f"SIG{name}: {len(mine)} rounds; processes left {left}; slowest to end: {times}; "
            f"rounds leaving stray/torn files {dirty}; TMPDIR entries left by the signal {temp}; "
            f"rounds with a problem {bad}"
        )
    good = all(r.ok for r in rounds)
    print(f"verdict: {'PASS' if good else 'FAIL'} ({sum(r.ok for r in rounds)}/{len(rounds)} rounds clean)")
    sys.exit(0 if good else 1)


if __name__ == "__main__":
    main()
