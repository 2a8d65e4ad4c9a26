"""A throw-away OpenSSH ``sshd`` on loopback, for tests and the SFTP benchmark.

What ``/work/shared/sftp-test-server.md`` describes, as code: a temp directory with an
ed25519 host key, a client key pair, ``authorized_keys`` and a config; ``sshd -D -e``
in the foreground on a free loopback port; stopped by PID. No chroot (its path rules
reject ``/tmp``): the SFTP user works with absolute paths under :attr:`Sshd.data`.

Runs as root (it creates the system user :data:`USER` if missing); the test fixture
skips when ``/usr/sbin/sshd`` is absent or the process is not root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
USER = "gwsftp"


def unavailable_reason() -> str | None:
    """Why a real sshd cannot run here, or None when it can."""
    if not SSHD.exists():
        return f"{SSHD} is not installed (apt-get install openssh-server)"
    if os.geteuid() != 0:
        return "the throw-away sshd needs root (to create its SFTP user and run sshd)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path, kind: str = "ed25519", passphrase: str = "") -> Path:
    """A new key pair at ``path`` / ``path.pub``; returns the private key path."""
    extra = ["-b", "2048"] if kind == "rsa" else []
    subprocess.run(["ssh-keygen", "-q", "-t", kind, *extra, "-N", passphrase, "-C", "gw-test",
                    "-f", str(path)], check=True, capture_output=True)
    return path


def ensure_user(name: str = USER) -> pwd.struct_passwd:
    """The SFTP login user: a system user with no password (key-only), created if missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--create-home", "--shell", "/bin/sh", name],
                       check=True, capture_output=True)
        # With UsePAM no, a password field of "!" counts as locked; "*" allows key login.
        subprocess.run(["usermod", "-p", "*", name], check=True, capture_output=True)
        return pwd.getpwnam(name)


@dataclass
class Sshd:
    """A running sshd and the files a client needs to reach it."""

    root: Path
    port: int
    user: str
    uid: int
    gid: int
    host_key: Path  # the server's private host key (its .pub beside it)
    client_key: Path  # an authorized ed25519 client key
    known_hosts: Path  # trusts exactly this server at 127.0.0.1:port
    process: subprocess.Popen[bytes]

    @property
    def data(self) -> Path:
        """Where the SFTP user may read and write (absolute remote paths start here)."""
        return self.root / "data"

    def host_public_key(self) -> str:
        """The host key as ``type base64`` (one known_hosts entry without the host)."""
        kind, blob = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"{kind} {blob}"

    def known_hosts_line(self, port: int | None = None) -> str:
        return f"[127.0.0.1]:{port or self.port} {self.host_public_key()}\n"

    def authorize(self, public_key_file: Path) -> None:
        """Let the key at ``public_key_file`` log in as the SFTP user."""
        with (self.root / "authorized_keys" / self.user).open("a") as f:
            f.write(public_key_file.read_text())

    def make_dir(self, name: str) -> Path:
        """A fresh directory under :attr:`data` owned by the SFTP user."""
        path = self.data / name
        path.mkdir(parents=True)
        self.chown(path)
        return path

    def chown(self, path: Path) -> None:
        os.chown(path, self.uid, self.gid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log(self) -> str:
        path = self.root / "sshd.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_sshd(root: Path | None = None, *, user: str = USER, timeout: float = 10.0) -> Sshd:
    """Start sshd on a free loopback port; the caller calls :meth:`Sshd.stop` and removes root."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    account = ensure_user(user)
    root = root or Path(tempfile.mkdtemp(prefix="gw-sshd-"))
    # The SFTP user must traverse root to reach data/; everything else stays root's.
    root.chmod(0o755)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege-separation directory
    host_key = keygen(root / "ssh_host_ed25519_key")
    client_key = keygen(root / "client_ed25519")
    (root / "authorized_keys").mkdir(mode=0o755)
    auth = root / "authorized_keys" / user
    auth.write_text(client_key.with_suffix(".pub").read_text())
    auth.chmod(0o644)
    data = root / "data"
    data.mkdir()
    os.chown(data, account.pw_uid, account.pw_gid)
    last_error = ""
    for _ in range(5):  # a free port can be taken between probe and bind: try another
        port = free_port()
        config = root / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"PidFile {root / 'sshd.pid'}",
            "PubkeyAuthentication yes",
            f"AuthorizedKeysFile {root / 'authorized_keys'}/%u",
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitRootLogin no",
            f"AllowUsers {user}",
            "MaxStartups 100:30:200",
            "MaxSessions 50",
            "Subsystem sftp internal-sftp",
            "",
        ]))
        subprocess.run([str(SSHD), "-t", "-f", str(config)], check=True, capture_output=True)
        log = (root / "sshd.log").open("ab")
        process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)],
                                   stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        known_hosts = root / "known_hosts"
        server = Sshd(root, port, user, account.pw_uid, account.pw_gid, host_key, client_key,
                      known_hosts, process)
        known_hosts.write_text(server.known_hosts_line())
        if _wait_for_banner(port, process, timeout):
            return server
        server.stop()
        last_error = server.log()
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"sshd did not start: {last_error[-2000:]}")


def _wait_for_banner(port: int, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False
