"""DNS rebinding: a delivery resolves its receiver's host once, refuses
non-public addresses (unless private hosts are allowed) and connects to the
address it resolved, keeping the Host header and the TLS server name. The
resolver is passed in, so a name can answer differently on each lookup; the
requests go to real local receivers (plain HTTP, and HTTPS with a certificate
made here for the name)."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import webhook_receiver
from labelwell.work import queue, webhooks
from world import build_world

receiver = webhook_receiver.receiver

NAME = "hooks.example.test"


class Rebinding:
    """A resolver whose answers change from one lookup to the next."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _send(url: str, resolver, *, allow_private: bool, verify: ssl.SSLContext | bool = True):
    return webhooks.send(url, "whsec_test", b"{}", {}, allow_private=allow_private,
                         resolver=resolver, verify=verify)


def _on_name(url: str) -> str:
    return url.replace("127.0.0.1", NAME)


def test_the_request_goes_to_the_address_resolved_once(receiver):
    # the name answers loopback first, an unroutable address after: one lookup
    # only, and the request reaches the receiver on the first answer
    resolver = Rebinding(["127.0.0.1"], ["10.255.255.1"])
    outcome = _send(_on_name(receiver.url), resolver, allow_private=True)
    assert (outcome.ok, outcome.response_code) == (True, 200)
    port = int(receiver.url.split(":")[2].split("/")[0])
    assert resolver.asked == [(NAME, port)]
    (request,) = receiver.requests
    assert request.headers["host"] == f"{NAME}:{port}"
    assert request.path == "/hooks"


def test_a_name_that_resolves_to_any_non_public_address_is_refused(receiver):
    for answer in (["127.0.0.1"], ["93.184.216.34", "10.0.0.7"], ["169.254.169.254"],
                   ["224.0.0.251"], ["::1"], ["fe80::1%eth0"], ["100.64.0.1"]):
        outcome = _send(_on_name(receiver.url), Rebinding(answer), allow_private=False)
        assert not outcome.ok and outcome.response_code is None
        assert "a non-public address" in (outcome.error or "")
    # an address literal is checked as itself, without a lookup
    resolver = Rebinding(["93.184.216.34"])
    outcome = _send(receiver.url, resolver, allow_private=False)
    assert "127.0.0.1 resolves to 127.0.0.1" in (outcome.error or "")
    assert resolver.asked == []
    assert receiver.requests == []


def test_a_name_that_does_not_resolve_is_a_failed_attempt(receiver):
    def nowhere(host: str, port: int) -> list[str]:
        raise OSError(-2, "Name or service not known")

    outcome = _send(_on_name(receiver.url), nowhere, allow_private=True)
    assert not outcome.ok
    assert outcome.error == f"cannot resolve {NAME}: Name or service not known"


def test_the_worker_resolves_each_delivery_once_with_its_resolver(db, receiver, tmp_path):
    world = build_world(db, n_annotators=1, n_items=1)
    with db.session() as s:
        webhooks.create(s, world.manager, world.project_id, _on_name(receiver.url),
                        ["item.completed"], tmp_path)
    with db.session() as s:
        actor = world.annotators[0]
        task = queue.next_task(s, actor, world.project_id)
        queue.submit(s, actor, task.assignment_id, {"sentiment": "positive"})
    resolver = Rebinding(["127.0.0.1"], ["10.255.255.1"])
    assert webhooks.deliver_due(db, tmp_path, allow_private=True, resolver=resolver) == 1
    assert len(resolver.asked) == 1
    (request,) = receiver.requests
    assert request.headers["labelwell-event"] == "item.completed"


# -- TLS on the name -----------------------------------------------------------


def _certificate(folder: Path, names: list[str]) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signed for ``names``: (ca, cert, key)."""
    now = dt.datetime.now(dt.UTC)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(hours=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "labelwell test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return paths


def _tls_receiver(tmp_path: Path, names: list[str]):
    ca, cert, key = _certificate(tmp_path, names)
    box = webhook_receiver.Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), webhook_receiver._handler(box))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    box.url = f"https://{NAME}:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = ssl.create_default_context(cafile=str(ca))
    return box, server, thread, server_names, client


@pytest.fixture
def tls(tmp_path) -> Iterator:
    made = []

    def start(names: list[str]):
        parts = _tls_receiver(tmp_path / str(len(made)), names)
        made.append(parts)
        return parts

    (tmp_path / "0").mkdir()
    (tmp_path / "1").mkdir()
    yield start
    for _, server, thread, _, _ in made:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_tls_runs_on_the_name_while_the_connection_goes_to_the_pinned_address(tls):
    box, _, _, server_names, client = tls([NAME])
    outcome = _send(box.url, Rebinding(["127.0.0.1"]), allow_private=True, verify=client)
    assert (outcome.ok, outcome.response_code) == (True, 200), outcome.error
    assert server_names == [NAME]  # SNI carries the name, not the address
    (request,) = box.requests
    assert request.headers["host"].startswith(NAME + ":")

    # a certificate for another name fails verification against the URL's name
    other, _, _, _, other_client = tls(["other.example.test"])
    refused = _send(other.url, Rebinding(["127.0.0.1"]), allow_private=True, verify=other_client)
    assert not refused.ok and refused.error == "request failed: ConnectError"
    assert other.requests == []
