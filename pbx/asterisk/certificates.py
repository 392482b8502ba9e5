"""The TLS certificate of an instance's secure WebSocket (browser softphones over wss://).

A configured certificate and key are copied into the instance's keys folder (Asterisk may
run in a chroot that cannot see the originals); without one, a self-signed certificate for
the bind address is generated once with the ``openssl`` command and kept there. The folder
and the key are readable by their owner only.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

CERT_NAME = "wss-cert.pem"
KEY_NAME = "wss-key.pem"
SELF_SIGNED_DAYS = 3650


class CertificateError(ValueError):
    """The certificate cannot be installed: a configured file is missing, or no openssl."""


@dataclass(frozen=True)
class WssCertificate:
    """Where the certificate and key come from, and where Asterisk reads them."""

    keys_dir: PurePosixPath  # the instance's keys folder as Asterisk sees it
    bind_address: str
    cert_source: Path | None = None  # configured files; None: self-signed
    key_source: Path | None = None

    @property
    def cert_file(self) -> PurePosixPath:
        return self.keys_dir / CERT_NAME

    @property
    def key_file(self) -> PurePosixPath:
        return self.keys_dir / KEY_NAME

    def install(self, host_keys_dir: Path) -> list[Path]:
        """Put the certificate and key into the keys folder (host path); returns both."""
        host_keys_dir.mkdir(parents=True, exist_ok=True)
        host_keys_dir.chmod(0o700)
        cert, key = host_keys_dir / CERT_NAME, host_keys_dir / KEY_NAME
        if self.cert_source is not None and self.key_source is not None:
            for source in (self.cert_source, self.key_source):
                if not source.is_file():
                    raise CertificateError(f"TLS file {source} does not exist")
            _copy_private(self.cert_source, cert)
            _copy_private(self.key_source, key)
        elif not (cert.is_file() and key.is_file()):
            _self_signed(self.bind_address, cert, key)
        return [cert, key]


def _copy_private(source: Path, target: Path) -> None:
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle, source.open("rb") as original:
        shutil.copyfileobj(original, handle)
    tmp.replace(target)


def _self_signed(bind_address: str, cert: Path, key: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError(
            "the 'openssl' command is needed to generate the WSS certificate "
            "(Debian package 'openssl'), or set asterisk.tls_cert_file and tls_key_file"
        )
    names = _subject_names(bind_address)
    tmp_cert, tmp_key = cert.with_suffix(".tmp"), key.with_suffix(".tmp")
    old_umask = os.umask(0o077)
    try:
        result = subprocess.run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                str(SELF_SIGNED_DAYS),
                "-subj",
                f"/CN={bind_address}",
                "-addext",
                f"subjectAltName={names}",
                "-keyout",
                str(tmp_key),
                "-out",
                str(tmp_cert),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.umask(old_umask)
    if result.returncode != 0:
        raise CertificateError(f"openssl could not generate the WSS certificate: {result.stderr}")
    tmp_key.chmod(0o600)
    tmp_cert.chmod(0o600)
    tmp_key.replace(key)
    tmp_cert.replace(cert)


def _subject_names(bind_address: str) -> str:
    """The certificate's names: the bind address (or this host's loopback names)."""
    names = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]
    try:
        address = ipaddress.ip_address(bind_address)
    except ValueError:
        names.insert(0, f"DNS:{bind_address}")
    else:
        if not address.is_unspecified and not address.is_loopback:
            names.insert(0, f"IP:{address}")
    return ",".join(names)
