"""HTTPS receivers: the certificate is verified against the host name; then delivery works."""

import shutil
import ssl
import subprocess

import pytest

from app.webhooks import sender
from tests.factories import supplier_payload
from tests.webhooks.conftest import HOOKS, register, serving

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A throwaway self-signed certificate for localhost."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
    command += " -addext subjectAltName=DNS:localhost"
    subprocess.run(
        [*command.split(), "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_receiver(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with serving(context) as state:
        yield state


def test_an_untrusted_certificate_fails_then_a_trusted_one_delivers(
    client, admin, tls_receiver, certificate, dev_settings, worker, monkeypatch
):
    hook = register(client, admin, tls_receiver.url, secret="tls-test-secret-0123456789").json()
    assert hook["url"].startswith("https://localhost:")
    client.post("/api/v1/suppliers", json=supplier_payload(1), headers=admin)
    assert worker.at(0).retrying == 1
    assert tls_receiver.received == []
    [failed] = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert "CERTIFICATE_VERIFY_FAILED" in failed["last_error"]

    trusting = ssl.create_default_context(cafile=certificate[0])  # as if a public CA signed it
    monkeypatch.setattr(sender, "_ssl_context", lambda: trusting)
    assert worker.at(12).delivered == 1
    [got] = tls_receiver.received
    assert got.signed_with("tls-test-secret-0123456789")
    assert got.headers["host"] == f"localhost:{tls_receiver.port}"
