"""Synthetic log and CI-failure sets with ground truth, written for this project (no third-party text).

Each set imitates the *kinds* of messages of a log source that is not in ../shared/datasets
(syslog daemons, a proxy client, a coordination service, a cloud API, a Windows servicing stack, a
mobile OS, a desktop kernel, a cluster's syslog) or of CI failures (Python, JVM, Go/JS). The event id
of a line is the log statement that printed it: one statement is one event, whatever its values —
multi-word values, optional formatted parts (``1403 bytes (1.37 KB)``), dates with weekday and month
names, host:port, paths, numbers inside words, key=value pairs, hex, IPs, URLs, UUIDs.

Deterministic for a seed. Used by ``bench/eval_loghub.py --synthetic``; never by unit tests.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import datetime, timedelta

Gen = Callable[[random.Random], str]

_WD = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WDAY_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_START = datetime(2018, 12, 30, 22, 0, 0)  # a Sunday: the window spans Sun-Wed, Dec-Jan, 2018-2019
_USERS = ("root", "alice", "bob", "deploy", "postgres", "www-data", "jenkins", "ci-runner", "mlopez", "test")
_PROGS = ("chrome.exe", "firefox.exe", "Dropbox.exe", "slack.exe", "git-remote-https.exe", "Teams.exe",
          "code.exe", "svchost.exe", "OneDrive.exe", "java.exe", "python3.exe", "WeChat.exe")  # fmt: skip
_DOMAINS = (
    "example.com",
    "example.org",
    "cdn.example.net",
    "api.test.io",
    "files.acme.dev",
    "mail.corp.local",
)
_WORDS = ("alpha", "bravo", "delta", "gamma", "kappa", "omega", "sigma", "zeta", "lambda", "theta")


def ip(r: random.Random) -> str:
    return ".".join(str(r.randint(1, 254)) for _ in range(4))


def hexs(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def uuid(r: random.Random) -> str:
    return f"{hexs(r, 8)}-{hexs(r, 4)}-{hexs(r, 4)}-{hexs(r, 4)}-{hexs(r, 12)}"


def host(r: random.Random) -> str:
    sub = r.choice(("www", "img", "static", "api", "edge", "s3", "login", "ocsp", "dl", "m"))
    return f"{sub}{r.choice(('', str(r.randint(1, 9))))}.{r.choice(_DOMAINS)}"


def clock(r: random.Random) -> str:
    return f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"


def _when(r: random.Random) -> datetime:
    """A moment within a 3-day window: like a real log, few weekdays and one or two months."""
    return _START + timedelta(seconds=r.randint(0, 3 * 86_400))


def cdate(r: random.Random) -> str:
    """C ``asctime`` style: ``Sun Dec 16 04:12:33 2018``."""
    t = _when(r)
    return f"{_WD[t.weekday()]} {_MON[t.month - 1]} {t.day:2d} {t:%H:%M:%S} {t.year}"


def jdate(r: random.Random) -> str:
    """Java ``Date.toString``: ``Mon Mar 04 10:12:33 UTC 2024``."""
    t = _when(r)
    return f"{_WD[t.weekday()]} {_MON[t.month - 1]} {t.day:02d} {t:%H:%M:%S} UTC {t.year}"


def ldate(r: random.Random) -> str:
    """Long form: ``Monday, Dec 17, 2018``."""
    t = _when(r)
    return f"{_WDAY_FULL[t.weekday()]}, {_MON[t.month - 1]} {t.day}, {t.year}"


def size(r: random.Random) -> str:
    """A byte count, with its KB/MB form in parentheses from 1 KB on (one formatted value)."""
    n = r.choice((0, r.randint(1, 900), r.randint(1025, 90_000), r.randint(2_000_000, 9_000_000)))
    if n >= 1_048_576:
        return f"{n} bytes ({n / 1_048_576:.1f} MB)"
    return f"{n} bytes ({n / 1024:.2f} KB)" if n >= 1024 else f"{n} bytes"


def lifetime(r: random.Random) -> str:
    return r.choice(("<1 sec", f"00:{r.randint(1, 59):02d}", f"{r.randint(1, 9):02d}:{r.randint(0, 59):02d}"))


def prog(r: random.Random) -> str:
    return r.choice(_PROGS) + r.choice(("", "", " *64"))


def words(r: random.Random, lo: int = 1, hi: int = 3) -> str:
    return " ".join(r.choice(_WORDS) for _ in range(r.randint(lo, hi)))


def ident(r: random.Random) -> str:
    return r.choice(_WORDS) + "_" + "".join(r.choice(string.ascii_lowercase) for _ in range(r.randint(2, 6)))


def num(r: random.Random, hi: int = 99999) -> int:
    return r.randint(0, hi)


SETS: dict[str, dict[str, Gen]] = {
    "syslog": {
        "auth_fail": lambda r: (
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
            f"rhost={r.choice((ip(r), host(r)))}"
        ),
        "auth_fail_user": lambda r: (
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= "
            f"rhost={r.choice((ip(r), host(r)))}  user={r.choice(_USERS)}"
        ),
        "sess_open": lambda r: f"session opened for user {r.choice(_USERS)} by (uid={r.choice((0, 0, 500))})",
        "sess_close": lambda r: f"session closed for user {r.choice(_USERS)}",
        "ftp_conn": lambda r: f"connection from {ip(r)} ({r.choice((host(r), ''))}) at {cdate(r)}",
        "oom": lambda r: f"Out of memory: Killed process {num(r)} ({r.choice(('httpd', 'java', 'mysqld'))}).",
        "alert": lambda r: f"ALERT exited abnormally with [{r.randint(1, 3)}]",
        "cron": lambda r: f"({r.choice(_USERS)}) CMD (run-parts /etc/cron.{r.choice(('hourly', 'daily'))})",
        "startup": lambda r: f"{r.choice(('syslogd', 'klogd', 'crond'))} startup succeeded",
        "check_pass": lambda r: f"check pass; user {r.choice(('unknown', r.choice(_USERS)))}",
        "usb": lambda r: (
            f"usb {r.randint(1, 4)}-{r.randint(1, 6)}: new high speed USB device using ehci_hcd and address {r.randint(2, 40)}"
        ),
        "cupsd": lambda r: f"cupsd shutdown succeeded at {cdate(r)}",
    },
    "proxy": {
        "open": lambda r: (
            f"{prog(r)} - {host(r)}:{r.choice((80, 443, 5228))} open through proxy "
            f"proxy.{r.choice(_DOMAINS)}:{r.choice((5070, 8080))} HTTPS"
        ),
        "open_socks": lambda r: (
            f"{prog(r)} - {host(r)}:{r.choice((80, 443, 5228))} open through proxy "
            f"socks.{r.choice(_DOMAINS)}:1080 SOCKS5"
        ),
        "close": lambda r: (
            f"{prog(r)} - {host(r)}:{r.choice((80, 443))} close, {size(r)} sent, {size(r)} "
            f"received, lifetime {lifetime(r)}"
        ),
        "error": lambda r: (
            f"{prog(r)} - {host(r)}:{r.choice((80, 443))} error : Could not connect through "
            f"proxy proxy.{r.choice(_DOMAINS)}:5070 - Proxy server cannot establish a connection with the "
            f"target, status code {r.choice((403, 502, 504))}"
        ),
        "resolve": lambda r: (
            f"{prog(r)} - {host(r)}:{r.choice((80, 443))} error : A connection request was "
            "canceled before the completion."
        ),
        "dns": lambda r: f"DNS resolution via proxy failed for {host(r)} ({r.randint(1, 12)} attempts)",
    },
    "coord": {
        "accept": lambda r: f"Accepted socket connection from /{ip(r)}:{r.randint(30000, 60000)}",
        "attempt": lambda r: (
            f"Client attempting to establish new session at /{ip(r)}:{r.randint(30000, 60000)}"
        ),
        "established": lambda r: (
            f"Established session 0x{hexs(r, 15)} with negotiated timeout {r.choice((10000, 20000, 40000))} "
            f"for client /{ip(r)}:{r.randint(30000, 60000)}"
        ),
        "closed": lambda r: (
            f"Closed socket connection for client /{ip(r)}:{r.randint(30000, 60000)} which had sessionid 0x{hexs(r, 15)}"
        ),
        "closed_nosess": lambda r: (
            f"Closed socket connection for client /{ip(r)}:{r.randint(30000, 60000)} (no session established for client)"
        ),
        "broken": lambda r: (
            f"Connection broken for id {r.randint(1, 5)}, my id = {r.randint(1, 5)}, error = "
        ),
        "notify": lambda r: (
            f"Notification time out: {r.choice((400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000))}"
        ),
        "expire": lambda r: (
            f"Expiring session 0x{hexs(r, 15)}, timeout of {r.choice((10000, 20000))}ms exceeded"
        ),
        "terminate": lambda r: f"Processed session termination for sessionid: 0x{hexs(r, 15)}",
        "send_leave": lambda r: "Send worker leaving thread",
        "conn_req": lambda r: f"Received connection request /{ip(r)}:{r.randint(30000, 60000)}",
        "eos": lambda r: "caught end of stream exception",
        "cannot_open": lambda r: (
            f"Cannot open channel to {r.randint(1, 5)} at election address /{ip(r)}:3888"
        ),
    },
    "cloud": {
        "http": lambda r: (
            f'{ip(r)} "{r.choice(("GET", "POST", "DELETE"))} /v2/{hexs(r, 32)}/servers/'
            f'{r.choice(("detail", uuid(r)))} HTTP/1.1" status: {r.choice((200, 202, 204, 404))} len: {r.randint(200, 3000)} '
            f"time: {r.random():.7f}"
        ),
        "vm_started": lambda r: f"[instance: {uuid(r)}] VM Started (Lifecycle Event)",
        "vm_stopped": lambda r: f"[instance: {uuid(r)}] VM Stopped (Lifecycle Event)",
        "vm_paused": lambda r: f"[instance: {uuid(r)}] VM Paused (Lifecycle Event)",
        "destroy": lambda r: (
            f"[instance: {uuid(r)}] Took {r.uniform(0.1, 30):.2f} seconds to destroy the instance on the hypervisor."
        ),
        "spawn": lambda r: (
            f"[instance: {uuid(r)}] Took {r.uniform(5, 60):.2f} seconds to spawn the instance on the hypervisor."
        ),
        "disk": lambda r: f"Total disk: {r.randint(10, 500)} GB, used: {r.uniform(0, 10):.2f} GB",
        "vcpus": lambda r: (
            f"Total usable vcpus: {r.randint(4, 64)}, total allocated vcpus: {r.randint(0, 64)}"
        ),
        "base": lambda r: f"Active base files: /var/lib/nova/instances/_base/{hexs(r, 40)}",
        "audit": lambda r: (
            f"Auditing locally available compute resources for node cp-{r.randint(1, 40)}.cloud.example.net"
        ),
        "claim": lambda r: f"[instance: {uuid(r)}] Claim successful on node cp-{r.randint(1, 40)}",
        "image": lambda r: f"image {uuid(r)} at (/var/lib/nova/instances/_base/{hexs(r, 40)}): checking",
        "req": lambda r: (
            f"[req-{uuid(r)} {hexs(r, 32)} {hexs(r, 32)} - - -] Unexpected error while "
            f"running command. Exit code: {r.randint(1, 255)}"
        ),
    },
    "winsvc": {
        "loaded": lambda r: (
            f"Loaded Servicing Stack v6.1.{r.randint(7600, 7601)}.{r.randint(17000, 24000)} with Core: "
            f"C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.{r.randint(17000, 24000)}_none_{hexs(r, 16)}\\cbscore.dll"
        ),
        "session": lambda r: (
            f"Session: {r.randint(10**7, 10**8)}_{r.randint(10**9, 4 * 10**9)} initialized by client "
            f"{r.choice(('WindowsUpdateAgent', 'DISM Package Manager Provider'))}."
        ),
        "applic": lambda r: (
            f"Read out cached package applicability for package: Package_for_KB{r.randint(2000000, 4000000)}"
            f"~31bf3856ad364e35~amd64~~6.1.{r.randint(1, 4)}.{r.randint(0, 9)}, ApplicableState: {r.choice((80, 112))}, "
            f"CurrentState:{r.choice((0, 112))}"
        ),
        "warn_attr": lambda r: "Warning: Unrecognized packageExtended attribute.",
        "expect": lambda r: (
            f"Expecting attribute name [HRESULT = 0x{r.choice(('800f080d', '800f0805'))} - "
            f"{r.choice(('CBS_E_MANIFEST_INVALID_ITEM', 'CBS_E_INVALID_PACKAGE'))}]"
        ),
        "failed_open": lambda r: (
            "Failed to internally open package. [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]"
        ),
        "sqm": lambda r: f"SQM: Initializing online with Windows opt-in: {r.choice(('False', 'True'))}",
        "sqm_clean": lambda r: f"SQM: Cleaning up report files older than {r.randint(5, 30)} days.",
        "ending": lambda r: "Ending TrustedInstaller finalization.",
        "wu": lambda r: f"Starting the TrustedInstaller main loop on {ldate(r)}",
    },
    "mobile": {
        "tasks": lambda r: f"getTasks: max={r.randint(1, 30)}, flags={r.choice((0, 1))}",
        "lock": lambda r: (
            f'acquire lock={num(r, 10**9)}, flags=0x{r.randint(1, 9)}, tag="{words(r, 1, 3).title()} Lock", '
            f"name=com.{r.choice(_WORDS)}.{r.choice(_WORDS)}, ws=null, uid={r.randint(1000, 11000)}, pid={num(r, 30000)}"
        ),
        "release": lambda r: (
            f'release:lock={num(r, 10**9)}, flg=0x0, tag="{r.choice(_WORDS)}", name=com.{r.choice(_WORDS)}, ws=null, uid={r.randint(1000, 11000)}, pid={num(r, 30000)}'
        ),
        "screen": lambda r: f"mScreenOn={r.choice(('true', 'false'))}",
        "lights": lambda r: f"setLightsOn({r.choice(('true', 'false'))})",
        "skip": lambda r: (
            f"Skipping AppWindowToken{{{hexs(r, 7)} token=Token{{{hexs(r, 7)} ActivityRecord{{{hexs(r, 7)} u0 "
            f"com.{r.choice(_WORDS)}/.{r.choice(('Main', 'Login', 'Chat'))}Activity t{r.randint(100, 999)}}}}}}} -- going to hide"
        ),
        "battery": lambda r: (
            f"onBatteryLevelChanged level={r.randint(1, 100)} plugged={r.choice((0, 1, 2))} temp={r.randint(250, 420)}"
        ),
        "not_found": lambda r: (
            f"Unable to start service Intent {{ act=com.{r.choice(_WORDS)}.SYNC pkg=com.{r.choice(_WORDS)} }} U=0: not found"
        ),
        "gc": lambda r: (
            f"Background concurrent copying GC freed {num(r)}({r.randint(1, 900)}KB) AllocSpace objects, "
            f"{r.randint(0, 9)}({r.randint(1, 900)}KB) LOS objects, {r.randint(10, 90)}% free, {r.randint(1, 90)}MB/{r.randint(10, 180)}MB, paused {r.randint(10, 900)}us total {r.uniform(1, 90):.3f}ms"
        ),
    },
    "desktop": {
        "arpt": lambda r: (
            f"ARPT: {r.randint(600000, 700000)}.{r.randint(0, 999999):06d}: wl0: MDNS: IPV4 Addr: {ip(r)}"
        ),
        "wake": lambda r: (
            f"AppleThunderboltNHIType{r.randint(1, 3)}::prePCIWake - power up complete - took {r.randint(1, 900)} us"
        ),
        "bssid": lambda r: "en0: BSSID changed to " + ":".join(hexs(r, 2) for _ in range(6)),
        "reason": lambda r: (
            f"Wake reason: {r.choice(('RTC (Alarm)', 'EC.LidOpen (User)', 'ARPT (Network)', 'XHC1'))}"
        ),
        "hid": lambda r: "[HID] [MT] AppleMultitouchDevice::willTerminate entered",
        "ca": lambda r: (
            "CoreAnimation: warning, deleted thread with uncommitted CATransaction; set "
            "CA_DEBUG_TRANSACTIONS=1 in environment to log backtraces."
        ),
        "objc": lambda r: (
            f"objc[{num(r)}]: Class {r.choice(('FI', 'NS', 'UI'))}{r.choice(_WORDS).title()}Host is implemented in both "
            f"/System/Library/{r.choice(_WORDS).title()}.framework/{r.choice(_WORDS)} and /Applications/{r.choice(_WORDS)}.app/Contents/{r.choice(_WORDS)}. "
            "One of the two will be used. Which one is undefined."
        ),
        "thermal": lambda r: f"thermal pressure level {r.randint(0, 4)} -> {r.randint(0, 4)} at {cdate(r)}",
        "sleep": lambda r: (
            f"PMRD: System Sleep, waking in {r.randint(1, 900)} secs ({r.uniform(0, 99):.1f} % battery)"
        ),
        "dns": lambda r: f"mDNSResponder[{num(r, 999)}]: Resolving {host(r)} took {r.randint(1, 5000)} ms",
    },
    "cluster": {
        "ib_sm": lambda r: (
            f"ib_sm.x[{num(r, 30000)}]: [ib_sm_sweep.c:{r.randint(100, 2000)}]: No topology change"
        ),
        "ib_light": lambda r: (
            f"ib_sm.x[{num(r, 30000)}]: [ib_sm_bringup.c:{r.randint(100, 900)}]: Light sweep completed"
        ),
        "crond_open": lambda r: (
            f"crond(pam_unix)[{num(r, 30000)}]: session opened for user {r.choice(_USERS)} by (uid=0)"
        ),
        "crond_close": lambda r: (
            f"crond(pam_unix)[{num(r, 30000)}]: session closed for user {r.choice(_USERS)}"
        ),
        "dhcp_req": lambda r: (
            f"DHCPREQUEST for {ip(r)} from "
            + ":".join(hexs(r, 2) for _ in range(6))
            + f" via eth{r.randint(0, 1)}"
        ),
        "dhcp_ack": lambda r: (
            f"DHCPACK on {ip(r)} to " + ":".join(hexs(r, 2) for _ in range(6)) + f" via eth{r.randint(0, 1)}"
        ),
        "ntp": lambda r: f"ntpd[{num(r, 30000)}]: synchronized to {ip(r)}, stratum {r.randint(1, 4)}",
        "kernel": lambda r: (
            f"kernel: EXT3-fs error (device sda{r.randint(1, 8)}): ext3_find_entry: reading directory #{num(r)} offset {r.randint(0, 9)}"
        ),
        "pbs": lambda r: f"pbs_mom: Job {num(r)}.tbird-admin{r.randint(1, 2)} started on {cdate(r)}",
        "sshd": lambda r: (
            f"sshd[{num(r, 30000)}]: Accepted publickey for {r.choice(_USERS)} from {ip(r)} port {r.randint(1024, 65535)} ssh2"
        ),
    },
    "ci_python": {
        "assert_eq": lambda r: (
            f"AssertionError: assert {r.choice((str(r.randint(0, 99)), repr(words(r))))} == "
            f"{r.choice((str(r.randint(0, 99)), repr(words(r))))}"
        ),
        "keyerror": lambda r: f"KeyError: '{ident(r)}'",
        "refused": lambda r: "ConnectionRefusedError: [Errno 111] Connection refused",
        "timeout": lambda r: (
            f"TimeoutError: timed out after {r.choice((5, 10, 30, 60))}.0 seconds waiting for {host(r)}:{r.choice((443, 8080))}"
        ),
        "pg": lambda r: (
            f'psycopg.OperationalError: connection failed: could not connect to server at "{r.choice(("db", "postgres", ip(r)))}", '
            f"port {r.choice((5432, 5433))} failed: Connection refused"
        ),
        "http": lambda r: (
            f"requests.exceptions.HTTPError: {r.choice((500, 502, 503))} Server Error: "
            f"{r.choice(('Internal Server Error', 'Bad Gateway', 'Service Unavailable'))} for url: https://{host(r)}/api/v{r.randint(1, 3)}/{ident(r)}?page={r.randint(1, 9)}"
        ),
        "fnf": lambda r: (
            f"FileNotFoundError: [Errno 2] No such file or directory: '/tmp/pytest-of-ci/pytest-{r.randint(0, 99)}/{ident(r)}/data.json'"
        ),
        "date": lambda r: f"AssertionError: report dated {cdate(r)} is older than {r.randint(1, 30)} days",
        "attr": lambda r: f"AttributeError: 'NoneType' object has no attribute '{ident(r)}'",
        "mem": lambda r: (
            f"MemoryError: unable to allocate {r.uniform(1, 900):.1f} MiB for an array with shape ({r.randint(10, 9999)}, {r.randint(10, 9999)}) and data type float64"
        ),
    },
    "ci_jvm": {
        "assert_eq": lambda r: (
            f"org.opentest4j.AssertionFailedError: expected: <{r.choice((r.randint(0, 999), words(r)))}> but was: <{r.choice((r.randint(0, 999), words(r)))}>"
        ),
        "npe": lambda r: (
            f'java.lang.NullPointerException: Cannot invoke "com.acme.{r.choice(_WORDS).title()}.get{r.choice(_WORDS).title()}()" because "{r.choice(_WORDS)}" is null'
        ),
        "sock": lambda r: "java.net.SocketTimeoutException: Read timed out",
        "refused": lambda r: (
            f"java.net.ConnectException: Connection refused (Connection refused) to {host(r)}:{r.choice((8080, 9092))}"
        ),
        "rows": lambda r: (
            f"java.lang.IllegalStateException: Expected {r.randint(1, 9)} rows but found {r.randint(10, 99)} at {jdate(r)}"
        ),
        "oom": lambda r: "java.lang.OutOfMemoryError: Java heap space",
        "sql": lambda r: (
            f'org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique constraint "{ident(r)}_pkey" Detail: Key (id)=({r.randint(1, 9999)}) already exists.'
        ),
        "timeout": lambda r: (
            f"org.awaitility.core.ConditionTimeoutException: Condition with lambda expression in com.acme.{r.choice(_WORDS).title()}Test was not fulfilled within {r.choice((5, 10, 30))} seconds."
        ),
        "file": lambda r: (
            f"java.nio.file.NoSuchFileException: /home/runner/work/{ident(r)}/build/{ident(r)}.json"
        ),
    },
    "ci_gojs": {
        "go_status": lambda r: (
            f"handler_test.go:{r.randint(10, 400)}: expected status {r.choice((200, 201))}, got {r.choice((500, 503, 404))}"
        ),
        "go_dial": lambda r: f"dial tcp {ip(r)}:{r.choice((5432, 6379))}: connect: connection refused",
        "go_panic": lambda r: (
            f"panic: runtime error: index out of range [{r.randint(1, 20)}] with length {r.randint(0, 20)}"
        ),
        "go_deadline": lambda r: "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
        "go_diff": lambda r: (
            f"store_test.go:{r.randint(10, 400)}: got {r.randint(0, 99)} items, want {r.randint(0, 99)}"
        ),
        "js_expect": lambda r: (
            f"expect(received).toBe(expected) // Object.is equality Expected: {r.choice((r.randint(0, 99), repr(words(r))))} "
            f"Received: {r.choice((r.randint(0, 99), repr(words(r))))}"
        ),
        "js_type": lambda r: f"TypeError: Cannot read properties of undefined (reading '{ident(r)}')",
        "js_refused": lambda r: f"Error: connect ECONNREFUSED {ip(r)}:{r.choice((5432, 6379, 27017))}",
        "js_timeout": lambda r: (
            f"Timeout - Async callback was not invoked within the {r.choice((5000, 10000))} ms timeout specified by jest.setTimeout."
        ),
        "js_fetch": lambda r: (
            f"FetchError: request to https://{host(r)}/v1/{ident(r)} failed, reason: getaddrinfo ENOTFOUND {host(r)}"
        ),
    },
}


def generate(name: str, n: int = 2000, seed: int = 7) -> tuple[list[str], list[str]]:
    """``n`` (line, event id) pairs of set ``name``; event frequencies are skewed, as in real logs."""
    r = random.Random(f"{name}:{seed}")
    events = list(SETS[name])
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(events))]
    r.shuffle(weights)
    lines: list[str] = []
    truth: list[str] = []
    for ev in r.choices(events, weights, k=n):
        lines.append(SETS[name][ev](r))
        truth.append(ev)
    return lines, truth
