"""lmnic-migrate on the host: its protocol, events and switchover control,
with no driver. Each agent is built from its own sources with a fake of
the netlink layer (tests/agent/fake_nl.c: a vport inside the process, whose
operations it logs to FAKE_LOG); send and receive talk over loopback
(--insecure). The driver's side of a migration is test_migrate.py's, in
guests."""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from testbed.paths import BUILD, ENV, TOP

AGENT = BUILD / "host/lmnic-migrate-fake"
READY_FIELDS = {
    "dev": str, "adapter": str, "vport": int, "state": str, "conn_count": int,
    "proto": int, "precopy": bool, "precopy_bytes": int, "precopy_ms": float,
    "precopy_slots": int, "rounds": int, "delta_fixed_bytes": int,
    "dirty_bytes_estimate": int, "link_rate_bytes_per_ms": float, "rtt_ms": float,
    "expected_downtime_ms": float, "converged": bool,
    "switchover_timeout_s": int, "control": (str, type(None)),
}


# the fake adapter's capabilities without rounds (include/lmnic_hw.h)
NO_ROUNDS = 0x01 | 0x10 | 0x40 | 0x80


@pytest.fixture(scope="module")
def agent():
    build = subprocess.run(["make", "-s", "-C", str(TOP), "agent-fake"], env=ENV,
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    return str(AGENT)


class Agent:
    """One agent, running: its stdout's events as they come, its stderr."""

    def __init__(self, binary, args, log, stdin=subprocess.DEVNULL, **env):
        self.log = log
        self.proc = subprocess.Popen(
            [binary, *args], stdin=stdin, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, FAKE_LOG=str(log), **env))
        self.lines = []
        self.err = []
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._read, args=(f, to), daemon=True)
                        for f, to in ((self.proc.stdout, self.lines),
                                      (self.proc.stderr, self.err))]
        for t in self.threads:
            t.start()

    def _read(self, f, to):
        for line in f:
            with self.cond:
                to.append(line)
                self.cond.notify_all()
        with self.cond:
            to.append(None)
            self.cond.notify_all()

    def events(self):
        return [json.loads(x) for x in self.lines if x is not None]

    def event(self, name, timeout=10):
        """The first NAME event, waiting for it."""
        end = time.time() + timeout
        with self.cond:
            while True:
                for ev in self.events():
                    if ev["event"] == name:
                        return ev
                left = end - time.time()
                if None in self.lines or left <= 0:
                    raise AssertionError(f"no {name} event:\n{self.text()}")
                self.cond.wait(left)

    def write(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def wait(self, timeout=20):
        rc = self.proc.wait(timeout)
        for t in self.threads:
            t.join(5)
        return rc

    def text(self):
        return "".join(x for x in self.lines + self.err if x is not None)

    def ops(self):
        """The fake vport's operations, "op -> state" each."""
        return self.log.read_text().splitlines() if self.log.exists() else []

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()


@pytest.fixture
def pair(agent, tmp_path):
    """pair(send_args, recv_args, stdin): a receive agent listening, then a
    send agent connecting to it; both killed at the end if still running."""
    started = []

    def start(send_args=(), recv_args=(), stdin=subprocess.DEVNULL, dst_env=None, **env):
        n = len(started)
        dst = Agent(agent, ["receive", "eth1", "--listen", "127.0.0.1:0", "--insecure",
                            "--json", "--accept-timeout", "20", *recv_args],
                    tmp_path / f"dst{n}.log", FAKE_DST="1", **(dst_env or {}))
        started.append(dst)
        port = dst.event("listening")["port"]
        src = Agent(agent, ["send", "eth1", "--to", f"127.0.0.1:{port}", "--insecure",
                            "--json", *send_args], tmp_path / f"src{n}.log", stdin, **env)
        started.append(src)
        return src, dst

    yield start
    for a in started:
        a.kill()


def closed_port():
    """A loopback port nobody listens on (connections to it are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def result(a):
    """The agent's result: the last line, an event of its own."""
    events = a.events()
    assert events and events[-1]["event"] == "result", a.text()
    return events[-1]


def completed(src, dst):
    """Both agents ended well; the source's vport was finished, the
    destination's resumed."""
    assert src.wait() == 0, src.text() + dst.text()
    assert dst.wait() == 0, dst.text()
    assert result(src)["ok"] and result(dst)["ok"]
    assert src.ops()[-1] == "finish -> finished", src.ops()
    assert dst.ops()[-1] == "resume -> running", dst.ops()
    names = [e["event"] for e in dst.events()]
    assert names.index("loaded") < names.index("resumed") < names.index("result"), names
    rounds = result(src)["rounds"]
    assert [e["stream"] for e in dst.events() if e["event"] == "loaded"] == \
        ["precopy"] + ["round"] * rounds + ["delta"]


def rolled_back(src, dst, code, reason):
    """Both agents ended with CODE; the source's vport runs, having never
    stopped; the destination dropped what it loaded."""
    assert src.wait() == code, src.text()
    assert dst.wait() == code, dst.text()
    res = result(src)
    assert res["phase"] == "switchover" and res.get("reason") == reason, res
    assert src.ops() == ["extract precopy -> precopy", "abort -> running"], src.ops()
    assert dst.ops()[-1] == "abort -> running", dst.ops()
    assert "the source gave up" in dst.text()
    assert result(dst)["phase"] == "switchover", result(dst)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(path))
    s.settimeout(10)
    return s.makefile("rw", buffering=1)


def read_event(f, name):
    """Read events from F up to the first NAME; return them all."""
    seen = []
    while not seen or seen[-1]["event"] != name:
        line = f.readline()
        assert line, f"the connection ended before {name}: {seen}"
        seen.append(json.loads(line))
    return seen


def test_switchover_from_stdin(pair):
    """--switchover=wait: the source pre-copies, says ready and waits with its
    vport running, the destination holding the image; an unknown command is
    answered and ignored; switchover completes the migration. The
    destination's --timeout (3 s) is shorter than the wait: the source's
    keepalives (every second) hold it."""
    src, dst = pair(["--switchover=wait", "--verify"], ["--timeout", "3"],
                    stdin=subprocess.PIPE)
    ready = src.event("ready")
    assert ready["state"] == "precopy" and ready["precopy"], ready
    assert src.ops() == ["extract precopy -> precopy"]
    assert dst.ops() == ["restore commit %d -> loaded" % ready["precopy_bytes"]]
    assert dst.event("loaded")["stream"] == "precopy"
    time.sleep(4)
    src.write("bogus\n")
    err = src.event("error")
    assert err["command"] == "bogus" and err["from"] == "stdin", err
    src.write("x" * 300 + "\n")
    assert src.proc.poll() is None
    src.write("  switchover \n")
    assert src.event("ack")["command"] == "switchover"
    completed(src, dst)
    errors = [e for e in src.events() if e["event"] == "error"]
    assert len(errors) == 2 and "too long" in errors[1]["error"], errors
    res = result(src)
    assert res["timings_ms"]["switchover"] >= 4000, res
    assert res["source_digest"] == res["dest_digest"] == result(dst)["dest_digest"]
    # the downtimes run from the switchover, not from the pre-copy
    assert res["downtime_ms"] < 3000 and result(dst)["downtime_ms"] < 3000, (res, result(dst))
    assert result(dst)["timings_ms"]["switchover"] >= 3000, result(dst)
    phases = [e["phase"] for e in dst.events() if e["event"] == "phase"]
    assert phases[-4:] == ["switchover", "transfer", "restore", "resume"], phases
    assert src.ops() == ["extract precopy -> precopy", "extract -> quiesced",
                         "finish -> finished"], src.ops()


def test_ready_event(pair):
    """The ready event carries every field documented, of the types
    documented; the figures agree with the fake vport's stream (200
    connections, one slot record each 136 bytes, a record header per 480)."""
    src, dst = pair(["--switchover=wait"], stdin=subprocess.PIPE)
    ready = src.event("ready")
    for key, kind in READY_FIELDS.items():
        assert isinstance(ready.get(key, "missing"), kind), (key, ready)
    assert ready["proto"] == 2 and ready["conn_count"] == ready["precopy_slots"] == 200
    assert ready["precopy_bytes"] == ready["delta_fixed_bytes"] + 200 * 136 + 16
    rate = ready["precopy_bytes"] / ready["precopy_ms"]
    assert abs(ready["link_rate_bytes_per_ms"] - rate) / rate < 0.01, ready
    # the adapter sized the delta: no slot changed
    assert ready["dirty_bytes_estimate"] == 0 and ready["rounds"] == 0, ready
    want = (ready["delta_fixed_bytes"] + ready["dirty_bytes_estimate"]) / \
        ready["link_rate_bytes_per_ms"] + 2 * ready["rtt_ms"]
    assert abs(ready["expected_downtime_ms"] - want) < 0.01, ready
    assert ready["converged"] is (want <= 50), ready
    assert ready["switchover_timeout_s"] == 300 and ready["control"] is None
    src.write("switchover\n")
    completed(src, dst)


def test_ready_event_without_rounds(pair):
    """An adapter that cannot pre-copy in rounds cannot size the delta: the
    estimate is that of a delta without changed slots, a floor, and whether
    it converges is not known."""
    src, dst = pair(["--switchover=wait"], stdin=subprocess.PIPE, FAKE_CAPS=str(NO_ROUNDS))
    ready = src.event("ready")
    assert ready["dirty_bytes_estimate"] is None and ready["converged"] is None, ready
    want = ready["delta_fixed_bytes"] / ready["link_rate_bytes_per_ms"] + 2 * ready["rtt_ms"]
    assert abs(ready["expected_downtime_ms"] - want) < 0.01, ready
    src.write("switchover\n")
    completed(src, dst)
    assert "extract round -> precopy" not in src.ops()


def test_events_are_json_lines(pair):
    """Every line either agent writes on stdout is one JSON object with the
    event name, "v": 1, a CLOCK_REALTIME "ts" in ms and a "mono_ms" that
    never goes back; the result is last."""
    t0 = time.time() * 1000
    src, dst = pair(["--switchover=wait"], stdin=subprocess.PIPE)
    src.event("ready")
    src.write("switchover\n")
    completed(src, dst)
    t1 = time.time() * 1000
    for a in (src, dst):
        lines = [x for x in a.lines if x is not None]
        assert lines and all(x.endswith("\n") for x in lines)
        events = [json.loads(x) for x in lines]
        mono = [e["mono_ms"] for e in events]
        assert mono == sorted(mono)
        for e in events:
            assert isinstance(e, dict) and isinstance(e["event"], str), e
            assert e["v"] == 1 and isinstance(e["ts"], int), e
            assert t0 - 1000 <= e["ts"] <= t1 + 1000, e
        assert events[-1]["event"] == "result"
    names = [e["event"] for e in src.events()]
    assert names.index("ready") < names.index("ack") < names.index("result")
    resumed = dst.event("resumed")
    assert resumed["downtime_ms"] >= resumed["resume_ms"] >= 0, resumed


def test_switchover_from_the_control_socket(pair, tmp_path):
    """--control PATH: a socket only its owner may use; a connection made
    before ready gets ready, one made after gets it first thing; unknown
    commands are answered to their connection alone; switchover is acked to
    every connection, which then get the events up to the result; the
    socket is gone at the end."""
    path = tmp_path / "ctl"
    src, dst = pair(["--switchover=wait", "--control", str(path)])
    for _ in range(100):
        if path.exists():
            break
        time.sleep(0.02)
    assert path.is_socket() and (path.stat().st_mode & 0o777) == 0o600
    early = connect(path)
    ready = read_event(early, "ready")[-1]
    assert ready["control"] == str(path)
    assert ready == src.event("ready")
    late = connect(path)
    assert read_event(late, "ready") == [ready]
    late.write("status\n")
    err = read_event(late, "error")[-1]
    assert err["command"] == "status" and err["from"] == "control", err
    early.write("switchover\n")
    seen = [read_event(f, "result") for f in (early, late)]
    completed(src, dst)
    for events in seen:
        names = [e["event"] for e in events]
        assert "error" not in names and names[0] == "ack" and "phase" in names, names
        assert events[-1] == result(src)
    assert not path.exists()


def test_abort_rolls_back(pair, tmp_path):
    """abort from the control socket: the source rolls back (its vport never
    stopped), the destination drops the pre-copy image; both exit 10."""
    path = tmp_path / "ctl"
    src, dst = pair(["--switchover=wait", "--control", str(path)])
    src.event("ready")
    f = connect(path)
    f.write("abort\n")
    seen = read_event(f, "result")
    assert seen[-1]["exit_code"] == 10 and not seen[-1]["ok"], seen
    rolled_back(src, dst, 10, "abort")
    assert "abort from the control socket" in result(src)["error"]
    assert not path.exists()


def test_abort_whose_rollback_fails(pair):
    """abort, and the source's vport-abort fails (and vport-resume cannot
    restart a pre-copy): exit 8, the scheme's rollback failure."""
    src, dst = pair(["--switchover=wait"], stdin=subprocess.PIPE, FAKE_FAIL="abort")
    src.event("ready")
    src.write("abort\n")
    assert src.wait() == 8, src.text()
    assert "ROLLBACK FAILED" in src.text()
    assert dst.wait() == 10, dst.text()


def test_timeout_rolls_back(pair):
    """No command within --switchover-timeout: rolled back, with its reason."""
    t0 = time.time()
    src, dst = pair(["--switchover=wait", "--switchover-timeout", "1"],
                    stdin=subprocess.PIPE)
    src.event("ready")
    rolled_back(src, dst, 10, "timeout")
    assert 1 <= time.time() - t0 < 10
    assert "--switchover-timeout" in result(src)["error"]


def test_stdin_ended_without_control(pair):
    """Standard input at its end and no --control: nothing can command the
    switchover, so the source rolls back at once instead of waiting out the
    timeout."""
    src, dst = pair(["--switchover=wait"])
    rolled_back(src, dst, 10, "eof")
    assert result(src)["timings_ms"]["switchover"] < 5000


def test_signal_while_waiting(pair):
    src, dst = pair(["--switchover=wait"], stdin=subprocess.PIPE)
    src.event("ready")
    src.proc.send_signal(signal.SIGTERM)
    assert src.wait() == 9, src.text()
    assert dst.wait() == 9, dst.text()
    assert src.ops() == ["extract precopy -> precopy", "abort -> running"]


def test_destination_gone_while_waiting(pair):
    """The destination dies during the wait: the source sees its connection
    end and rolls back then, not at the timeout."""
    src, dst = pair(["--switchover=wait"], stdin=subprocess.PIPE)
    src.event("ready")
    dst.proc.kill()
    t0 = time.time()
    assert src.wait() == 5, src.text()
    assert time.time() - t0 < 5
    assert src.ops() == ["extract precopy -> precopy", "abort -> running"]
    assert "while waiting for the switchover" in result(src)["error"]


def test_wait_without_precopy(pair):
    """--no-precopy: the wait comes before the quiesce, with nothing sent;
    the figures of a pre-copy are null. An abort there touches nothing."""
    src, dst = pair(["--switchover=wait", "--no-precopy"], stdin=subprocess.PIPE)
    ready = src.event("ready")
    assert not ready["precopy"] and ready["state"] == "running", ready
    for key in ("precopy_bytes", "delta_fixed_bytes", "link_rate_bytes_per_ms",
                "expected_downtime_ms"):
        assert ready[key] is None, (key, ready)
    src.write("abort\n")
    assert src.wait() == 10 and dst.wait() == 10, src.text() + dst.text()
    assert src.ops() == [] and dst.ops() == []

    src, dst = pair(["--switchover=wait", "--no-precopy"], stdin=subprocess.PIPE)
    src.event("ready")
    src.write("switchover\n")
    assert src.wait() == 0 and dst.wait() == 0, src.text() + dst.text()
    assert src.ops() == ["extract -> quiesced", "finish -> finished"]
    assert [e["stream"] for e in dst.events() if e["event"] == "loaded"] == ["full"]


def test_auto_is_the_default(pair):
    """Without --switchover the source goes straight on: no ready event."""
    src, dst = pair()
    completed(src, dst)
    assert "ready" not in [e["event"] for e in src.events()]
    # plaintext (--insecure): no cipher suite to name
    assert "cipher" not in result(src) and "cipher" not in result(dst)


def rounds_of(src):
    return [e for e in src.events() if e["event"] == "round"]


def streams_of(a):
    """The streams whose ends A reported, in order."""
    return [e["phase"] for e in a.events() if e["event"] == "progress" and e["last"]]


def test_rounds_until_nothing_changed(pair):
    """--max-downtime 0 (nothing converges): after the image, a round while
    slots changed, each announced, loaded and counted on both sides; when the
    adapter finds none changed, a round would carry nothing: the switchover,
    not converged. Each round event carries the adapter's size of the delta
    and what was decided."""
    src, dst = pair(["--max-downtime", "0", "--verify"], FAKE_DIRTY="50,20,5,0")
    completed(src, dst)
    ev = rounds_of(src)
    assert [e["round"] for e in ev] == [0, 1, 2, 3], ev
    assert [e["stream"] for e in ev] == ["precopy", "round", "round", "round"], ev
    assert [e["dirty_slots"] for e in ev] == [50, 20, 5, 0], ev
    fixed = ev[0]["bytes"] - 200 * 136 - 16         # the image less its slots
    assert [e["delta_bytes"] for e in ev] == \
        [fixed + n * 136 + (16 if n else 0) for n in (50, 20, 5, 0)], ev
    assert [e["decision"] for e in ev] == ["round"] * 3 + ["switchover"], ev
    for e in ev:
        assert e["converged"] is False and e["max_downtime_ms"] == 0, e
        assert e["bytes"] > 0 and e["ms"] >= 0 and e["expected_downtime_ms"] > 0, e
    assert src.ops() == ["extract precopy -> precopy"] + ["extract round -> precopy"] * 3 + \
        ["extract -> quiesced", "finish -> finished"]
    for a in (src, dst):
        assert result(a)["rounds"] == 3, result(a)
        assert streams_of(a) == ["precopy", "round", "round", "round", "transfer"]
        assert result(a)["precopy_bytes"] == sum(e["bytes"] for e in ev), result(a)
    assert result(src)["converged"] is False
    assert [e["stream"] for e in dst.events() if e["event"] == "loaded"] == \
        ["precopy", "round", "round", "round", "delta"]


@pytest.mark.parametrize("dirty,rounds,args", [
    ("50,40,30,20,10", 2, ["--max-rounds", "2"]),   # the bound on rounds
    ("50,60,70,80", 2, []),                         # growing twice: stalled
    ("50", 0, ["--max-rounds", "0"]),               # no rounds asked for
])
def test_rounds_stop(pair, dirty, rounds, args):
    """Rounds end at --max-rounds, or when the changed slots did not shrink
    in two rounds running; the switchover follows (the default of
    --if-not-converged). --max-rounds 0: no rounds, and no size probes."""
    src, dst = pair(["--max-downtime", "0", *args], FAKE_DIRTY=dirty)
    completed(src, dst)
    ev = rounds_of(src)
    assert [e["decision"] for e in ev] == ["round"] * rounds + ["switchover"], ev
    assert result(src)["rounds"] == result(dst)["rounds"] == rounds
    if rounds:
        assert result(src)["converged"] is False
    else:
        assert ev[0]["delta_bytes"] is None and result(src)["converged"] is None, ev


def test_converged_by_default(pair):
    """The default --max-downtime (50 ms) holds what the fake's loopback
    moves at once. After the image alone the estimate is a floor (the
    adapters' own times of a delta are not known): slots changed, so one
    round measures them (calibrating), then the switchover, converged."""
    src, dst = pair(FAKE_DIRTY="50")
    completed(src, dst)
    ev = rounds_of(src)
    assert [e["decision"] for e in ev] == ["round", "switchover"], ev
    assert [e["calibrating"] for e in ev] == [True, False], ev
    assert ev[0]["converged"] is None and ev[0]["expected_downtime_ms"] <= 50, ev
    assert ev[1]["converged"] is True and ev[1]["dirty_slots"] == 50, ev
    assert result(src)["rounds"] == result(dst)["rounds"] == 1
    assert result(src)["converged"] is True


def test_calibrating_round_finds_a_slow_delta(pair):
    """The image's rate says a delta fits, the calibrating round shows
    that a delta costs more (the destination's load of a delta takes 60 ms
    more, FAKE_DELTA_MS): the expected downtime counts that time, over 50
    ms, and the pre-copy goes on in rounds."""
    src, dst = pair(["--max-rounds", "2"], dst_env={"FAKE_DELTA_MS": "60"},
                    FAKE_DIRTY="50")
    completed(src, dst)
    ev = rounds_of(src)
    assert [e["calibrating"] for e in ev] == [True, False, False], ev
    assert [e["decision"] for e in ev] == ["round", "round", "switchover"], ev
    for e in ev[1:]:
        assert e["expected_downtime_ms"] > 60 and e["converged"] is False, e
    assert result(src)["rounds"] == 2 and result(src)["converged"] is False


def test_no_calibrating_round_without_changes(pair):
    """Nothing changed since the image: no round to measure anything, the
    switchover follows the image."""
    src, dst = pair(FAKE_DIRTY="0")
    completed(src, dst)
    ev = rounds_of(src)
    assert [(e["decision"], e["calibrating"]) for e in ev] == [("switchover", False)], ev
    assert result(src)["rounds"] == 0


def test_not_converged_abort(pair):
    """--if-not-converged=abort: the source vport runs on as it was, the
    destination drops what it loaded; exit 10, reason not-converged."""
    src, dst = pair(["--max-downtime", "0", "--max-rounds", "1",
                     "--if-not-converged=abort"], FAKE_DIRTY="50")
    assert src.wait() == 10 and dst.wait() == 10, src.text() + dst.text()
    assert result(src)["reason"] == "not-converged", result(src)
    assert "not converged" in result(src)["error"]
    assert [e["decision"] for e in rounds_of(src)] == ["round", "abort"]
    assert src.ops() == ["extract precopy -> precopy", "extract round -> precopy",
                         "abort -> running"]
    assert dst.ops()[-1] == "abort -> running", dst.ops()


def test_not_converged_wait(pair):
    """--if-not-converged=wait: the source says ready, not converged, and
    waits for the command as with --switchover=wait; switchover completes."""
    src, dst = pair(["--max-downtime", "0", "--max-rounds", "1",
                     "--if-not-converged=wait", "--switchover-timeout", "60"],
                    stdin=subprocess.PIPE, FAKE_DIRTY="50")
    ready = src.event("ready")
    assert ready["converged"] is False and ready["rounds"] == 1, ready
    assert ready["dirty_bytes_estimate"] == 50 * 136 + 16, ready
    assert ready["switchover_timeout_s"] == 60
    assert [e["decision"] for e in rounds_of(src)] == ["round", "wait"]
    src.write("switchover\n")
    completed(src, dst)


def test_rounds_on_a_destination_without_them(pair):
    """A destination adapter that cannot load rounds: the source migrates
    with the image and the last delta alone."""
    src, dst = pair(["--max-downtime", "0"], dst_env={"FAKE_CAPS": str(NO_ROUNDS)},
                    FAKE_DIRTY="50")
    completed(src, dst)
    ev = rounds_of(src)
    assert len(ev) == 1 and ev[0]["delta_bytes"] is None, ev
    assert src.ops() == ["extract precopy -> precopy", "extract -> quiesced",
                         "finish -> finished"]


def test_progress_per_stream(pair):
    """Both agents report the pre-copy and the delta as streams of their
    own, each ending with its own total (the destination learns it at the
    stream's END, 0 until then), which is what was sent and loaded."""
    src, dst = pair()
    completed(src, dst)
    for a in (src, dst):
        prog = [e for e in a.events() if e["event"] == "progress"]
        ends = [e for e in prog if e["last"]]
        assert [e["phase"] for e in ends] == ["precopy", "transfer"], \
            [(e["phase"], e["bytes"], e["total"], e["last"]) for e in prog]
        for e in ends:
            assert e["bytes"] == e["total"] > 0, e
        assert ends[0]["total"] == result(a)["precopy_bytes"], (ends, result(a))
        assert ends[1]["total"] == result(a)["bytes"], (ends, result(a))
        # the pre-copy's reports all come before the delta's
        phases = [e["phase"] for e in prog]
        assert phases == sorted(phases, key=["precopy", "transfer"].index), phases
    for e in dst.events():
        if e["event"] == "progress" and not e["last"]:
            assert e["total"] == 0, e


def test_control_path_in_the_way(agent, tmp_path):
    """--control refuses a path that is not a socket, or a socket somebody
    listens on, before anything happens; a stale socket is replaced."""
    path = tmp_path / "ctl"
    args = [agent, "send", "eth1", "--to", f"127.0.0.1:{closed_port()}", "--insecure",
            "--switchover=wait", "--control", str(path)]
    env = dict(os.environ, FAKE_LOG=str(tmp_path / "log"))
    path.write_text("mine\n")
    res = subprocess.run(args, env=env, capture_output=True, text=True, timeout=20)
    assert res.returncode == 1 and "exists and is not a socket" in res.stderr, res
    assert path.read_text() == "mine\n"
    path.unlink()

    live = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    live.bind(str(path))
    live.listen(1)
    res = subprocess.run(args, env=env, capture_output=True, text=True, timeout=20)
    assert res.returncode == 1 and "another process listens" in res.stderr, res
    assert path.is_socket()
    live.close()        # left behind, as by an agent that was killed

    res = subprocess.run(args, env=env, capture_output=True, text=True, timeout=20)
    assert "replaced a stale socket" in res.stderr, res.stderr
    assert res.returncode == 3, res.stderr          # the port refuses
    assert not path.exists()
    assert not (tmp_path / "log").exists(), "the vport was touched"


@pytest.mark.parametrize("args", [
    ["--control", "/tmp/x"], ["--switchover-timeout", "5"], ["--switchover=maybe"],
    ["--switchover=wait", "--switchover-timeout", "0"],
    ["--max-downtime", "-1"], ["--max-downtime", ""], ["--max-rounds", "x"],
    ["--max-rounds", "1001"], ["--if-not-converged=maybe"],
    ["--no-precopy", "--max-rounds", "3"], ["--no-precopy", "--if-not-converged=abort"],
])
def test_option_errors(agent, args):
    res = subprocess.run([agent, "send", "eth1", "--to", "127.0.0.1:9", "--insecure",
                          *args], capture_output=True, text=True, timeout=20)
    assert res.returncode == 1, res


@pytest.mark.parametrize("arg", ["--switchover=wait", "--max-downtime=10",
                                 "--max-rounds=2", "--if-not-converged=wait"])
def test_switchover_options_are_send_only(agent, arg):
    res = subprocess.run([agent, "receive", "eth1", "--listen", "127.0.0.1:0",
                          "--insecure", arg],
                         capture_output=True, text=True, timeout=20)
    assert res.returncode == 1 and "does not apply" in res.stderr, res


def _frame(conn):
    head = b""
    while len(head) < 8:
        more = conn.recv(8 - len(head))
        assert more, "the source closed the connection"
        head += more
    kind, n = head[1], struct.unpack(">I", head[4:])[0]
    data = b""
    while len(data) < n:
        data += conn.recv(n - len(data))
    return kind, data


@pytest.mark.parametrize("mode", ["auto", "wait"])
def test_destination_of_protocol_2_without_wait(agent, tmp_path, mode):
    """A destination agent from before --switchover=wait (protocol 2, which
    answers ACCEPT with the pre-copy flag alone): --switchover=auto sends the
    same HELLO as ever; --switchover=wait gives up at once with exit 2
    (refused at the handshake), before anything pauses."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    src = Agent(agent, ["send", "eth1", "--to", f"127.0.0.1:{port}", "--insecure",
                        "--json", f"--switchover={mode}"], tmp_path / "src.log",
                stdin=subprocess.PIPE)
    try:
        lsock.settimeout(10)
        conn, _ = lsock.accept()
        conn.settimeout(10)
        kind, hello = _frame(conn)
        assert kind == 1 and struct.unpack(">I", hello[:4])[0] == 2
        flags = struct.unpack(">I", hello[40:44])[0]
        assert flags & 4 == (4 if mode == "wait" else 0), flags
        conn.sendall(b"L\x02\x00\x00" + struct.pack(">II", 4, flags & 2))
        if mode == "wait":
            kind, data = _frame(conn)
            assert kind == 10 and struct.unpack(">I", data[:4])[0] == 2, (kind, data)
            assert src.wait() == 2, src.text()
            assert "older" in result(src)["error"]
            assert src.ops() == []
        else:
            kind, _ = _frame(conn)
            assert kind == 4, kind          # DATA: the pre-copy goes on
            conn.close()
            assert src.wait() == 5, src.text()
    finally:
        src.kill()
        lsock.close()


def test_default_key(agent, tmp_path):
    """No credentials named: both ends take the default key
    (LMNIC_MIGRATE_PSK_FILE here, /etc/lmnic/migrate.key on a host) and
    migrate over TLS; with no such file, or one others may read, the agent
    stops with a clear error before it touches the vport."""
    key = tmp_path / "migrate.key"
    key.write_text("0123456789abcdef" * 4 + "\n")
    key.chmod(0o600)
    dst = Agent(agent, ["receive", "eth1", "--listen", "127.0.0.1:0", "--json",
                        "--accept-timeout", "20"], tmp_path / "dst.log",
                FAKE_DST="1", LMNIC_MIGRATE_PSK_FILE=str(key))
    port = dst.event("listening")["port"]
    src = Agent(agent, ["send", "eth1", "--to", f"127.0.0.1:{port}", "--json"],
                tmp_path / "src.log", LMNIC_MIGRATE_PSK_FILE=str(key))
    try:
        completed(src, dst)
    finally:
        src.kill()
        dst.kill()
    # AES-GCM where the CPU has AES-NI and PCLMULQDQ, else ChaCha20-Poly1305
    flags = set(re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(),
                          re.M).group(1).split())
    want = ("TLS_AES_128_GCM_SHA256" if {"aes", "pclmulqdq"} <= flags
            else "TLS_CHACHA20_POLY1305_SHA256")
    assert result(src)["cipher"] == result(dst)["cipher"] == want, result(src)
    env = dict(os.environ, FAKE_LOG=str(tmp_path / "log"),
               LMNIC_MIGRATE_PSK_FILE=str(tmp_path / "none"))
    res = subprocess.run([agent, "send", "eth1", "--to", "127.0.0.1:9"], env=env,
                         capture_output=True, text=True, timeout=20)
    assert res.returncode == 1 and f"no key {tmp_path / 'none'}" in res.stderr, res
    key.chmod(0o640)
    env["LMNIC_MIGRATE_PSK_FILE"] = str(key)
    res = subprocess.run([agent, "send", "eth1", "--to", "127.0.0.1:9"], env=env,
                         capture_output=True, text=True, timeout=20)
    assert res.returncode == 1 and "chmod 600" in res.stderr, res
    assert not (tmp_path / "log").exists(), "the vport was touched"
