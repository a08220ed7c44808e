"""The records auditd writes to audit.log for one execve (a process creation under an execve
audit rule): SYSCALL, EXECVE and PROCTITLE, each a line of its own. Raw-text formats for the
platforms that keep audit.log's lines as they are (a platform's transforms.py registers them).

What the kernel does (kernel/audit.c, audit_log_n_untrustedstring): a value holding a double
quote, a blank, a control character or a byte above 0x7e is written as the upper-case hex of its
bytes, unquoted; any other value is quoted. EXECVE holds each argument as a0, a1, ...; PROCTITLE
the whole argument vector, NUL-separated (so always hex with two or more arguments) and cut to
128 bytes. The arguments are the sample's CommandLine split as a POSIX shell would (a sample for
this kind writes its command line with the quoting the shell was given).
"""
from __future__ import annotations

from pathlib import PurePosixPath

from tooling.platforms.eql.transforms import argv_posix

# One occurrence, one stamp: the three records of an execve share the event's time and serial.
STAMP = "msg=audit(1767268800.000:4242):"
PROCTITLE_LIMIT = 128  # bytes (MAX_PROCTITLE_AUDIT_LEN)


def untrusted(value: str | bytes) -> str:
    """A value as audit_log_n_untrustedstring writes it: quoted, or hex when it must be."""
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    if any(byte == 0x22 or byte < 0x21 or byte > 0x7E for byte in data):
        return data.hex().upper()
    return '"' + data.decode("ascii") + '"'


def _arguments(sample: dict) -> list[str]:
    return argv_posix(str(sample.get("CommandLine", ""))) or [""]


def syscall_record(sample: dict) -> str:
    """The SYSCALL record of a successful execve (x86-64 syscall 59): who ran what."""
    image = str(sample.get("Image", "")) or _arguments(sample)[0]
    uid = "0" if str(sample.get("User", "root")) == "root" else "1000"
    return (f"type=SYSCALL {STAMP} arch=c000003e syscall=59 success=yes exit=0 a0=55d1c2a0 a1=55d1c2f0 "
            f"a2=55d1c340 a3=0 items=2 ppid=4100 pid=4242 auid=1000 uid={uid} gid={uid} euid={uid} suid={uid} "
            f"fsuid={uid} egid={uid} sgid={uid} fsgid={uid} tty=pts0 ses=3 "
            f"comm={untrusted(PurePosixPath(image).name[:15])} exe={untrusted(image)} key=\"exec\"")


def execve_record(sample: dict) -> str:
    """The EXECVE record: argc, then each argument as a<n>."""
    arguments = _arguments(sample)
    listed = " ".join(f"a{number}={untrusted(argument)}" for number, argument in enumerate(arguments))
    return f"type=EXECVE {STAMP} argc={len(arguments)} {listed}"


def proctitle_record(sample: dict) -> str:
    """The PROCTITLE record: the argument vector, NUL-separated, at most 128 bytes."""
    title = "\0".join(_arguments(sample)).encode("utf-8", "surrogatepass")[:PROCTITLE_LIMIT]
    return f"type=PROCTITLE {STAMP} proctitle={untrusted(title)}"


FORMATS = {"auditd_syscall": syscall_record, "auditd_execve": execve_record, "auditd_proctitle": proctitle_record}
