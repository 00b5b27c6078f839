"""SSRF protection: only https URLs of public addresses, at registration and at delivery."""

import ipaddress
import socket

import pytest

from app.webhooks.targets import refusal
from tests.factories import supplier_payload
from tests.webhooks.conftest import HOOKS, register

REFUSED = [
    "https://10.0.0.1/hook",
    "https://192.168.1.1/hook",
    "https://172.16.5.4/hook",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
    "https://127.0.0.1/hook",  # loopback without the development setting
    "https://[::1]/hook",
    "https://localhost:8443/hook",
    "https://[fd00::1]/hook",  # unique local
    "https://[fe80::1]/hook",  # link-local
    "https://100.64.0.1/hook",  # carrier-grade NAT
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",  # multicast
    "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[2002:a00:1::]/hook",  # 6to4 of 10.0.0.1
    "https://2130706433/hook",  # 127.0.0.1 written as one number
    "http://example.com/hook",  # http
    "http://93.184.216.34/hook",
    "ftp://example.com/hook",
    "https://user:password@93.184.216.34/hook",
    "https://93.184.216.34/hook#fragment",
    "https://does-not-exist.invalid/hook",
    "https:///no-host",
    "not a url",
    "https://93.184.216.34:99999/hook",
]


@pytest.fixture
def dns(monkeypatch):
    """Fake DNS for names under `.partner.example`; other names resolve as usual."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".partner.example"):
            if host not in table:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in table[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return table


@pytest.mark.parametrize("url", REFUSED)
def test_unsafe_urls_are_refused_naming_url(client, admin, url):
    response = register(client, admin, url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "url"]]
    assert client.get(HOOKS, headers=admin).json() == []
    audit = client.get("/api/v1/audit", params={"entity": "webhook"}, headers=admin).json()
    assert audit["items"] == []


def test_public_addresses_are_accepted(client, admin, dns):
    dns["hooks.partner.example"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    for url in ("https://93.184.216.34/hook", "https://hooks.partner.example:8443/in?x=1"):
        response = register(client, admin, url)
        assert response.status_code == 201, response.text
        assert response.json()["url"] == url
        assert response.headers["location"].endswith(f"{HOOKS}/{response.json()['id']}")


def test_a_name_with_any_private_address_is_refused(client, admin, dns):
    dns["mixed.partner.example"] = ["93.184.216.34", "10.1.2.3"]
    response = register(client, admin, "https://mixed.partner.example/hook")
    assert response.status_code == 422
    assert "10.1.2.3" in response.json()["errors"][0]["msg"]
    unknown = register(client, admin, "https://nobody.partner.example/hook")
    assert unknown.status_code == 422
    assert "does not resolve" in unknown.json()["errors"][0]["msg"]


def test_loopback_only_with_the_development_setting(client, admin, dev_settings):
    for url in ("http://127.0.0.1:9/hook", "https://localhost/hook", "http://[::1]:8080/x"):
        assert register(client, admin, url).status_code == 201, url
    for url in ("http://10.0.0.1/hook", "https://192.168.1.1/", "http://93.184.216.34/"):
        response = register(client, admin, url)
        assert response.status_code == 422, url
        assert response.json()["errors"][0]["loc"] == ["body", "url"]


def test_a_name_that_rebinds_to_a_private_address_is_refused_at_delivery(
    client, admin, dns, worker
):
    dns["rebind.partner.example"] = ["93.184.216.34"]
    hook = register(client, admin, "https://rebind.partner.example/hook").json()
    dns["rebind.partner.example"] = ["10.0.0.7"]  # DNS rebinding after registration
    client.post("/api/v1/suppliers", json=supplier_payload(1), headers=admin)
    report = worker.at(0, webhooks_allow_http_loopback=False)
    assert report.retrying == 1
    [delivery] = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert delivery["last_error"].startswith("refused: URL resolves to 10.0.0.7")
    assert delivery["last_status_code"] is None
    assert delivery["history"][0]["duration_ms"] < 500  # refused before any connection


def test_loopback_receivers_are_refused_at_delivery_without_the_setting(
    client, admin, receiver, dev_settings, worker
):
    hook = register(client, admin, receiver.url).json()  # allowed while the setting was on
    client.post("/api/v1/suppliers", json=supplier_payload(1), headers=admin)
    worker.at(0, webhooks_allow_http_loopback=False)
    assert receiver.received == []
    [delivery] = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert delivery["last_error"].startswith("refused")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("8.8.8.8", True),
        ("10.255.255.255", False),
        ("172.31.0.1", False),
        ("192.0.2.1", False),  # documentation range
        ("198.18.0.1", False),  # benchmarking range
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("ff02::1", False),
        ("::", False),
        ("2001:db8::1", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
    ],
)
def test_address_rules(address, allowed):
    assert (refusal(ipaddress.ip_address(address), allow_loopback=False) is None) is allowed


def test_hostnames_from_the_wire_are_checked_without_long_waits(client, admin):
    # Literal addresses and `localhost` never reach a resolver.
    response = client.post(
        HOOKS, json={"url": "https://localhost./x", "events": ["supplier.created"]}, headers=admin
    )
    assert response.status_code == 422
