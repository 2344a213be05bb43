"""Seccomp filters for render sandboxes, assembled as classic BPF (standard library only).

Used in two places, so it depends on nothing but the standard library (the pinned render
environment does not have reachqa installed; the worker imports this file by path):

* ``worker_filter()``: handed to bubblewrap (``--seccomp FD``) for the whole worker. It refuses
  the system calls no worker needs (ptrace, keyctl, bpf, kexec, modules, perf, handle-based opens,
  setns, umount, pivot_root, chroot, io_uring, ...). ``unshare`` and ``mount`` stay allowed here,
  because the worker itself builds a fresh PID and mount namespace for every job.
* ``job_filter()``: installed by each job process just before the chart script runs, on top of the
  worker filter (filters stack). It also refuses ``mount``/``unshare``, the new mount API,
  creating processes (``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD`` or with namespace
  flags: a chart script is one process, so its rlimits bind the whole script, also for root, for
  whom ``RLIMIT_NPROC`` never binds), memory that no limit counts (``memfd_create``, System V
  shared memory, semaphores, message queues and POSIX message queues, which would also outlive the
  job in the worker's IPC namespace) and ``sysinfo`` (host load and process count);
  ``clone3`` answers ENOSYS so the C library falls back to ``clone``, whose flags a classic BPF
  filter can inspect.

Both filters allow only ``AF_UNIX`` sockets (``socket``/``socketpair`` with another family answer
EAFNOSUPPORT): families such as ``AF_VSOCK`` reach past the network namespace.

Refused calls fail with EPERM (ENOSYS for clone3); a call made for another architecture (x32
or 32-bit ABI tricks) kills the process. Only x86_64 is known; elsewhere ``supported()`` is
False and the sandbox refuses to start rather than run unfiltered.
"""

from __future__ import annotations

import errno
import platform
import struct

# struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000

_OFF_NR, _OFF_ARCH, _OFF_ARG0, _OFF_ARG1 = 0, 4, 16, 24  # struct seccomp_data, little endian

CLONE_NAMESPACE_FLAGS = (0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000
                         | 0x40000000)  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
TIOCSTI = 0x5412

_ARCHES = {
    # machine: (AUDIT_ARCH value, syscall numbers)
    "x86_64": (0xC000003E, {
        "ptrace": 101, "syslog": 103, "uselib": 134, "vhangup": 153, "pivot_root": 155,
        "adjtimex": 159, "chroot": 161, "acct": 163, "settimeofday": 164, "mount": 165, "umount2": 166,
        "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171, "iopl": 172,
        "ioperm": 173, "init_module": 175, "delete_module": 176, "quotactl": 179, "lookup_dcookie": 212,
        "clock_settime": 227, "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250,
        "unshare": 272, "perf_event_open": 298, "fanotify_init": 300, "name_to_handle_at": 303,
        "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308, "process_vm_readv": 310,
        "process_vm_writev": 311, "kcmp": 312, "finit_module": 313, "kexec_file_load": 320, "bpf": 321,
        "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "clone3": 435, "pidfd_getfd": 438, "mount_setattr": 442, "quotactl_fd": 443,
        "clone": 56, "ioctl": 16, "fork": 57, "vfork": 58, "memfd_create": 319, "sysinfo": 99,
        "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240, "socket": 41, "socketpair": 53,
    }),
}
_X32_BIT = 0x40000000

# Refused for the whole worker (the worker's own code needs none of them).
WORKER_DENY = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "userfaultfd",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "fanotify_init",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "setns", "umount2", "pivot_root", "chroot",
    "swapon", "swapoff", "reboot", "sethostname", "setdomainname", "iopl", "ioperm", "acct", "quotactl",
    "quotactl_fd", "lookup_dcookie", "syslog", "uselib", "vhangup", "settimeofday", "clock_settime",
    "adjtimex", "clock_adjtime", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
)
# Refused in addition while a chart script runs.
JOB_DENY = WORKER_DENY + ("mount", "unshare", "fork", "vfork", "memfd_create", "shmget", "semget", "msgget",
                         "mq_open", "sysinfo")
CLONE_THREAD = 0x00010000
AF_UNIX = 1


def supported() -> bool:
    return platform.machine() in _ARCHES


def _ins(code: int, k: int = 0, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def _program(deny: tuple[str, ...], *, clone3_enosys: bool, clone_namespaces: bool, threads_only: bool = False) -> bytes:
    if not supported():
        raise OSError(f"no seccomp filter is known for this architecture ({platform.machine()})")
    arch, numbers = _ARCHES[platform.machine()]
    eperm = RET_ERRNO | errno.EPERM
    prog = [
        _ins(_LD_W_ABS, _OFF_ARCH),
        _ins(_JEQ_K, arch, 1, 0),
        _ins(_RET_K, RET_KILL_PROCESS),
        _ins(_LD_W_ABS, _OFF_NR),
        _ins(_JGE_K, _X32_BIT, 0, 1),
        _ins(_RET_K, RET_KILL_PROCESS),
    ]
    for name in deny:
        nr = numbers.get(name)
        if nr is not None:
            prog += [_ins(_JEQ_K, nr, 0, 1), _ins(_RET_K, eperm)]
    if clone3_enosys:
        prog += [_ins(_JEQ_K, numbers["clone3"], 0, 1), _ins(_RET_K, RET_ERRNO | errno.ENOSYS)]
    # Sockets of one family only: AF_UNIX (inside the sandbox's own network namespace).
    for name in ("socket", "socketpair"):
        prog += [_ins(_JEQ_K, numbers[name], 0, 4), _ins(_LD_W_ABS, _OFF_ARG0), _ins(_JEQ_K, AF_UNIX, 1, 0),
                 _ins(_RET_K, RET_ERRNO | errno.EAFNOSUPPORT), _ins(_RET_K, RET_ALLOW)]
    # ioctl(fd, TIOCSTI, ...) pushes keystrokes into a terminal: refused everywhere.
    prog += [_ins(_JEQ_K, numbers["ioctl"], 0, 4), _ins(_LD_W_ABS, _OFF_ARG1), _ins(_JEQ_K, TIOCSTI, 0, 1),
             _ins(_RET_K, eperm), _ins(_RET_K, RET_ALLOW)]
    if clone_namespaces and threads_only:  # a thread, never a process or a namespace
        prog += [_ins(_JEQ_K, numbers["clone"], 0, 5), _ins(_LD_W_ABS, _OFF_ARG0),
                 _ins(_JSET_K, CLONE_NAMESPACE_FLAGS, 2, 0), _ins(_JSET_K, CLONE_THREAD, 0, 1),
                 _ins(_RET_K, RET_ALLOW), _ins(_RET_K, eperm)]
    elif clone_namespaces:
        prog += [_ins(_JEQ_K, numbers["clone"], 0, 4), _ins(_LD_W_ABS, _OFF_ARG0),
                 _ins(_JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1), _ins(_RET_K, eperm), _ins(_RET_K, RET_ALLOW)]
    prog.append(_ins(_RET_K, RET_ALLOW))
    return b"".join(prog)


def worker_filter() -> bytes:
    """The compiled filter for a whole worker (bubblewrap ``--seccomp``)."""
    return _program(WORKER_DENY, clone3_enosys=False, clone_namespaces=False)


def job_filter() -> bytes:
    """The compiled filter for one chart script (stacked on the worker's)."""
    return _program(JOB_DENY, clone3_enosys=True, clone_namespaces=True, threads_only=True)


def install(program: bytes) -> None:
    """Set no-new-privileges and install ``program`` on the calling thread (and its future children)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buf = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "installing the seccomp filter failed")
