"""The interactive segmentation client: a real server's mask comes back as a
bool array; a server that answers outside the protocol is a ModelBackendError
naming what was wrong."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest

from labelwell.assist.http_backend import ModelBackendError
from labelwell.media.interactive import ask_model
from segment_server import segment_server
from threaded_server import http_server


def scene() -> np.ndarray:
    rgb = np.full((60, 80, 3), 200, np.uint8)
    rgb[10:40, 20:60] = (40, 150, 60)
    return rgb


def test_clicks_give_the_servers_mask():
    with segment_server() as url:
        answer = ask_model(url, scene(), [(30, 20, 1)], None)
    truth = np.zeros((60, 80), bool)
    truth[10:40, 20:60] = True
    assert answer.model == "flood-fill" and answer.version == "1" and answer.score == 0.9
    assert np.array_equal(answer.mask, truth)
    with segment_server() as url:  # a negative click inside takes it away again
        answer = ask_model(url, scene(), [(30, 20, 1), (50, 30, 0)], None)
    assert not answer.mask.any()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "x"}, "without a mask"),
        ({"mask": {"size": [10, 10], "counts": "PP"}}, "mask size"),
        ({"mask": {"size": [60, 80], "counts": [1, 2]}}, "not a valid RLE"),
    ],
)
def test_answers_outside_the_protocol(body, message):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers["Content-Length"]))
            out = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    with http_server(Handler) as url, pytest.raises(ModelBackendError, match=message):
        ask_model(url, scene(), [(1, 1, 1)], None)
