"""The SDK's requests sent through an in-process test client, so SDK tests run
against the app without a server process."""

from __future__ import annotations

import httpx


class Via(httpx.BaseTransport):
    def __init__(self, client):
        self.client = client

    def handle_request(self, request):
        r = self.client.request(
            request.method, str(request.url), headers=request.headers, content=request.read()
        )
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)
