import numpy as np
import pytest

from labelwell.assist.embeddings import SentenceEmbedder
from labelwell.assist.predictors import PREDICTORS, Predictor, create_predictor, predict
from labelwell.assist.text_classifier import EmbeddingTextClassifier
from labelwell.errors import InvalidInput

SPAM = [
    "subscribe to my channel please",
    "check out my new video link in bio",
    "free iphone giveaway click here",
    "make money online fast visit my site",
    "follow me on instagram for more",
    "win a free gift card now",
]
HAM = [
    "this song is beautiful",
    "i love her voice so much",
    "the melody is stuck in my head",
    "best music video ever made",
    "this brings back memories of summer",
    "the dance in this video is amazing",
]


@pytest.fixture(scope="module")
def fitted(minilm):
    clf = EmbeddingTextClassifier(SentenceEmbedder(model=minilm))
    return clf.fit(SPAM + HAM, ["spam"] * 6 + ["ham"] * 6)


def test_registered_and_follows_the_predictor_protocol(fitted):
    assert PREDICTORS["minilm-logreg"] is EmbeddingTextClassifier
    assert isinstance(fitted, Predictor)
    assert isinstance(create_predictor("minilm-logreg"), EmbeddingTextClassifier)
    with pytest.raises(InvalidInput, match="unknown predictor"):
        create_predictor("nope")


def test_learns_spam_from_a_dozen_labels(fitted):
    probs = fitted.predict_proba(["click the link to win free money", "what a lovely song"])
    assert list(fitted.classes_) == ["ham", "spam"]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert probs[0, 1] > 0.5 > probs[1, 1]


def test_predictions_carry_model_name_version_and_score(fitted):
    rows = predict(fitted, ["free gift card giveaway"], ids=["item-9"])
    assert rows[0].item == "item-9" and rows[0].label == "spam"
    assert rows[0].model == "minilm-logreg"
    assert rows[0].version == fitted.version and fitted.version.startswith("n12-")
    assert 0.5 < rows[0].score <= 1.0


def test_decision_function_gives_logits_for_calibration(fitted):
    from scipy.special import softmax

    texts = ["free gift card", "lovely song"]
    np.testing.assert_allclose(
        softmax(fitted.decision_function(texts), axis=1), fitted.predict_proba(texts), atol=1e-6
    )


def test_refuses_a_single_class(minilm):
    clf = EmbeddingTextClassifier(SentenceEmbedder(model=minilm))
    with pytest.raises(InvalidInput, match="two distinct labels"):
        clf.fit(SPAM, ["spam"] * 6)
