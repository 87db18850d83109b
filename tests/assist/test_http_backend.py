"""The HTTP model backend and the Label Studio adapter against real local servers."""

import json
import math
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from labelwell.assist.http_backend import (
    HTTPBackend,
    LabelStudioMLBackend,
    ModelBackendError,
    parse_choices_config,
)
from labelwell.assist.predictors import PREDICTORS, predict
from labelwell.errors import InvalidInput

LABEL_CONFIG = """
<View>
  <Text name="comment" value="$text"/>
  <Choices name="verdict" toName="comment" choice="single">
    <Choice value="Ham"/>
    <Choice value="Spam"/>
  </Choices>
</View>
"""

TRAIN = [
    ("subscribe to my channel", "Spam"),
    ("free gift card click here", "Spam"),
    ("check out my video", "Spam"),
    ("lovely song and voice", "Ham"),
    ("this song is my favourite", "Ham"),
    ("beautiful melody", "Ham"),
]


class NaiveBayes:
    """A small multinomial naive Bayes with Laplace smoothing: the served model."""

    def __init__(self):
        self.words = {}
        self.docs = Counter()
        self.trained = 0

    def learn(self, text, label):
        self.words.setdefault(label, Counter()).update(text.lower().split())
        self.docs[label] += 1
        self.trained += 1

    @property
    def classes(self):
        return sorted(self.docs)

    @property
    def version(self):
        return f"nb-{self.trained}"

    def proba(self, text):
        vocab = set().union(*self.words.values())
        logs = []
        for c in self.classes:
            total = sum(self.words[c].values())
            lp = math.log(self.docs[c] / sum(self.docs.values()))
            for w in text.lower().split():
                lp += math.log((self.words[c][w] + 1) / (total + len(vocab)))
            logs.append(lp)
        m = max(logs)
        e = [math.exp(v - m) for v in logs]
        return [v / sum(e) for v in e]


def _serve(routes):
    """Run ``routes[(method, path)] -> (status, body)`` on 127.0.0.1, a free port."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self, method):
            body = None
            if method == "POST":
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fn = routes.get((method, self.path))
            status, out = (404, {"error": "no route"}) if fn is None else fn(body)
            raw = json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def serve():
    started = []

    def start(routes):
        server, thread, url = _serve(routes)
        started.append((server, thread))
        return url

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join()


def labelwell_protocol_routes(model):
    def health(_):
        return 200, {"status": "ok", "model": "naive-bayes", "version": model.version}

    def train(body):
        for item, label in zip(body["items"], body["labels"], strict=True):
            model.learn(item["data"]["text"], label)
        return 200, {"model": "naive-bayes", "version": model.version}

    def predict_(body):
        probs = [model.proba(item["data"]["text"]) for item in body["items"]]
        return 200, {
            "model": "naive-bayes",
            "version": model.version,
            "classes": model.classes,
            "probs": probs,
        }

    return {("GET", "/health"): health, ("POST", "/train"): train, ("POST", "/predict"): predict_}


def test_http_backend_trains_and_predicts_over_the_wire(serve):
    model = NaiveBayes()
    url = serve(labelwell_protocol_routes(model))
    backend = HTTPBackend(url, batch_size=2)
    try:
        assert PREDICTORS["http"] is HTTPBackend
        assert backend.health()["status"] == "ok"
        backend.fit([t for t, _ in TRAIN], [lab for _, lab in TRAIN])
        assert model.trained == 6 and backend.version == "nb-6"
        texts = ["free video subscribe", "lovely melody", "my favourite song"]
        probs = backend.predict_proba(texts)  # two batches of two and one
        assert list(backend.classes_) == ["Ham", "Spam"]
        np.testing.assert_allclose(probs, [model.proba(t) for t in texts])
        assert probs[0].argmax() == 1 and probs[1].argmax() == 0
        rows = predict(backend, texts[:1], ids=["a"])
        assert (rows[0].label, rows[0].model, rows[0].version) == ("Spam", "naive-bayes", "nb-6")
    finally:
        backend.close()


def test_http_backend_reports_server_errors_and_bad_answers(serve):
    url = serve(
        {
            ("GET", "/health"): lambda _: (500, {"detail": "model crashed"}),
            ("POST", "/predict"): lambda body: (200, {"classes": ["a", "b"], "probs": [[1.0]]}),
        }
    )
    backend = HTTPBackend(url)
    try:
        with pytest.raises(ModelBackendError, match="answered 500"):
            backend.health()
        with pytest.raises(ModelBackendError, match="probs"):
            backend.predict_proba(["x"])
    finally:
        backend.close()


def test_unreachable_backend_is_a_domain_error():
    server, thread, url = _serve({})
    server.shutdown()
    server.server_close()
    thread.join()
    backend = HTTPBackend(url, timeout=2)
    try:
        with pytest.raises(ModelBackendError, match="unreachable"):
            backend.health()
    finally:
        backend.close()


def label_studio_v2_routes(model, seen):
    """The routes and JSON shapes of label-studio-ml 2.x (label_studio_ml/api.py)."""

    def health(_):
        return 200, {"status": "UP", "model_class": "NaiveBayes"}

    def setup(body):
        seen.append(("setup", body))
        return 200, {"model_version": model.version}

    def predict_(body):
        seen.append(("predict", body))
        results = []
        for task in body["tasks"]:
            p = model.proba(task["data"]["text"])
            best = int(np.argmax(p))
            region = {
                "from_name": "verdict",
                "to_name": "comment",
                "type": "choices",
                "value": {"choices": [model.classes[best]]},
            }
            results.append({"result": [region], "score": p[best], "model_version": model.version})
        return 200, {"results": results}

    def webhook(body):
        seen.append(("webhook", body))
        if body["action"] != "ANNOTATION_CREATED":
            return 200, {"status": "Unknown event"}
        choice = body["annotation"]["result"][0]["value"]["choices"][0]
        model.learn(body["task"]["data"]["text"], choice)
        return 201, {"result": None, "status": "ok"}

    return {
        ("GET", "/health"): health,
        ("POST", "/setup"): setup,
        ("POST", "/predict"): predict_,
        ("POST", "/webhook"): webhook,
    }


def test_label_studio_v2_backend(serve):
    model, seen = NaiveBayes(), []
    url = serve(label_studio_v2_routes(model, seen))
    ls = LabelStudioMLBackend(url, LABEL_CONFIG, project="7.1700000000")
    try:
        assert ls.health()["status"] == "UP"
        ls.fit([t for t, _ in TRAIN], [lab for _, lab in TRAIN])
        hooks = [body for kind, body in seen if kind == "webhook"]
        assert len(hooks) == 6 and model.trained == 6
        assert hooks[0]["project"] == {"id": 7, "label_config": LABEL_CONFIG}
        assert hooks[0]["task"]["data"] == {"text": "subscribe to my channel"}
        assert hooks[0]["annotation"]["result"][0]["to_name"] == "comment"
        assert ls.version == "nb-6"  # /setup after training
        texts = ["free video subscribe", "lovely melody"]
        probs = ls.predict_proba(texts)
        request = [body for kind, body in seen if kind == "predict"][0]
        assert request["project"] == "7.1700000000" and request["label_config"] == LABEL_CONFIG
        assert request["tasks"][1] == {"id": 1, "data": {"text": "lovely melody"}}
        expected_top = [max(model.proba(t)) for t in texts]
        np.testing.assert_allclose(probs.max(axis=1), expected_top)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)
        assert probs[0].argmax() == 1 and probs[1].argmax() == 0
        assert list(ls.classes_) == ["Ham", "Spam"]
    finally:
        ls.close()


def test_label_studio_v1_backend_trains_through_train_route(serve):
    model, posted = NaiveBayes(), []

    def train(body):
        posted.append(body)
        for ann in body["annotations"]:
            model.learn(ann["task"]["data"]["text"], ann["result"][0]["value"]["choices"][0])
        return 201, {"job": "job-1"}

    url = serve({("POST", "/train"): train, ("GET", "/health"): lambda _: (200, {"status": "UP"})})
    ls = LabelStudioMLBackend(url, LABEL_CONFIG)
    try:
        ls.fit([t for t, _ in TRAIN], [lab for _, lab in TRAIN])
        assert model.trained == 6
        assert len(posted) == 1 and posted[0]["label_config"] == LABEL_CONFIG
    finally:
        ls.close()


def test_label_studio_prediction_without_choice_is_uniform(serve):
    url = serve({("POST", "/predict"): lambda body: (200, {"results": [{"result": []}]})})
    ls = LabelStudioMLBackend(url, LABEL_CONFIG)
    try:
        np.testing.assert_allclose(ls.predict_proba(["anything"]), [[0.5, 0.5]])
    finally:
        ls.close()


def test_label_config_parsing():
    assert parse_choices_config(LABEL_CONFIG) == ("verdict", "comment", "text", ["Ham", "Spam"])
    with pytest.raises(InvalidInput, match="no <Choices>"):
        parse_choices_config("<View><Text name='t' value='$text'/></View>")
    ls = LabelStudioMLBackend("http://127.0.0.1:9", LABEL_CONFIG)
    with pytest.raises(InvalidInput, match="not a choice"):
        ls.annotation("Maybe")
    ls.close()
