"""The HTTP senders post JSON to the gateway named in the settings; a refusal or a timeout is
a failed attempt. A tiny local server stands in for the gateway (no outside network)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from careloop.notifications import services
from careloop.notifications.senders import HttpSmsSender, WeChatTemplateSender
from careloop.residents.models import Resident

from .conftest import NOW, send_text


class Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):  # http.server calls it by this name
        length = int(self.headers["Content-Length"])
        Gateway.received.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization", ""),
                "content_type": self.headers["Content-Type"],
                "json": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(Gateway.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def gateway():
    Gateway.received = []
    Gateway.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_senders(settings, gateway):
    settings.CARELOOP_SMS_SENDER = "careloop.notifications.senders.HttpSmsSender"
    settings.CARELOOP_SMS_URL = f"{gateway}/sms"
    settings.CARELOOP_SMS_TOKEN = "sms-secret"
    settings.CARELOOP_WECHAT_SENDER = "careloop.notifications.senders.WeChatTemplateSender"
    settings.CARELOOP_WECHAT_URL = f"{gateway}/wechat"
    settings.CARELOOP_WECHAT_TOKEN = ""
    return gateway


def test_a_text_message_is_posted_to_the_sms_gateway(cast, frozen, http_senders):
    sms = send_text(resident=cast.wang)[1]
    assert services.deliver_due() == 1
    [request] = Gateway.received
    assert request["path"] == "/sms"
    assert request["authorization"] == "Bearer sms-secret"
    assert request["content_type"] == "application/json; charset=utf-8"
    assert request["json"] == {
        "id": sms.public_id,
        "to": "13800138000",
        "kind": "text",
        "text": "通知：明天社区义诊。",
        "urgent": False,
    }
    sms.refresh_from_db()
    assert (sms.status, sms.sent_at) == ("sent", NOW)


def test_a_wechat_message_names_the_resident_and_the_template(cast, frozen, http_senders):
    Resident.objects.filter(pk=cast.wang.pk).update(contact_channel="wechat")
    wechat = send_text(resident=Resident.objects.get(pk=cast.wang.pk))[1]
    assert services.deliver_due() == 1
    [request] = Gateway.received
    assert request["path"] == "/wechat"
    assert request["authorization"] == ""
    assert request["json"] == {
        "id": wechat.public_id,
        "resident": cast.wang.public_id,
        "template": "text",
        "data": {"subject": "通知", "body": "明天社区义诊。"},
        "urgent": False,
    }


def test_a_gateway_error_is_a_failed_attempt(cast, frozen, http_senders):
    Gateway.status = 503
    sms = send_text(resident=cast.wang)[1]
    assert services.deliver_due() == 0
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 1)
    assert sms.last_error.startswith("HTTPError: HTTP Error 503")
    Gateway.status = 200
    assert services.deliver_due(now=sms.send_after) == 1
    assert len(Gateway.received) == 2


def test_an_unreachable_gateway_is_a_failed_attempt(cast, frozen, settings):
    settings.CARELOOP_SMS_SENDER = "careloop.notifications.senders.HttpSmsSender"
    settings.CARELOOP_SMS_URL = "http://127.0.0.1:9/sms"  # discard port: nothing listens
    settings.CARELOOP_NOTIFY_TIMEOUT = 2
    sms = send_text(resident=cast.wang)[1]
    assert services.deliver_due() == 0
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("queued", 1)
    assert sms.last_error


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://example.cn/sms"])
def test_only_http_urls_are_accepted(settings, url):
    settings.CARELOOP_SMS_URL = url
    settings.CARELOOP_WECHAT_URL = url
    with pytest.raises(ImproperlyConfigured):
        HttpSmsSender()
    with pytest.raises(ImproperlyConfigured):
        WeChatTemplateSender()
