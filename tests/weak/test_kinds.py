import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from labelwell.errors import InvalidInput
from labelwell.weak.kinds import keyword_lf, lookup_lf, model_lf, regex_lf, threshold_lf
from labelwell.weak.lf import Batch, Record

ITEMS = [
    {"text": "Check out my channel!", "author": "spammer1", "stars": 1},
    {"text": "I love this song", "author": "fan", "stars": 5},
    {"text": "Subscribe to me PLEASE", "author": "spammer2", "stars": None},
    {"text": "great video, see my channel", "author": "fan", "stars": 3},
]


def votes(lf, items=ITEMS):
    return lf.vote_batch(Batch(items)).tolist()


def test_keyword_and_regex_lfs():
    lf = keyword_lf("spam_words", ["subscribe", "check out"], label=1)
    assert votes(lf) == [1, -1, 1, -1]
    exact = keyword_lf("exact", ["Subscribe"], label=1, case_sensitive=True)
    assert votes(exact) == [-1, -1, 1, -1]
    word = keyword_lf("word", ["vid"], label=1, whole_word=True)
    assert votes(word) == [-1, -1, -1, -1]
    assert keyword_lf("k2", ["subscribe", "check out"], 1).version == lf.version
    assert keyword_lf("k3", ["subscribe"], 1).version != lf.version
    rx = regex_lf("my_channel", r"\bmy channel\b", label=1)
    assert votes(rx) == [1, -1, -1, 1]
    assert rx(Record(ITEMS[0])) == 1  # one item at a time agrees with the batch path
    with pytest.raises(InvalidInput, match="invalid pattern"):
        regex_lf("bad", "(", 1)
    with pytest.raises(InvalidInput):
        keyword_lf("none", [], 1)


def test_threshold_lf_abstains_outside_and_on_missing():
    lf = threshold_lf("low_stars", "stars", label=1, max=2)
    assert votes(lf) == [1, -1, -1, -1]
    assert votes(lf, pd.DataFrame(ITEMS)) == [1, -1, -1, -1]
    band = threshold_lf("middle", "stars", label=0, min=2, max=4)
    assert votes(band) == [-1, -1, -1, 0]
    assert band(Record(ITEMS[3])) == 0
    with pytest.raises(InvalidInput):
        threshold_lf("open", "stars", label=0)


def test_model_lf_votes_confident_predictions_in_one_call():
    texts = ["check my channel", "subscribe now", "love it", "nice song"]
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(texts, [1, 1, 0, 0])
    lf = model_lf("classifier", model)
    expected = model.predict(pd.Series([x["text"] for x in ITEMS]).tolist()).tolist()
    assert votes(lf) == expected
    assert lf(Record(ITEMS[0])) == expected[0]
    unsure = model_lf("unsure", model, min_confidence=0.999)
    assert votes(unsure) == [-1, -1, -1, -1]
    with pytest.raises(InvalidInput, match="classes"):
        model_lf("no_classes", object())


def test_lookup_lf_reads_another_dataset():
    known = pd.Series({"spammer1": 1, "spammer2": 1, "fan": 0})
    lf = lookup_lf("known_author", known, field="author")
    assert votes(lf) == [1, 0, 1, 0]
    assert lookup_lf("partial", {"fan": 0}, field="author")(Record(ITEMS[0])) == -1
    with pytest.raises(InvalidInput):
        lookup_lf("bad", {"fan": "ham"}, field="author")


def test_keyword_batch_search_agrees_with_item_by_item():
    texts = [
        "Subscribe!",
        "",
        None,
        float("nan"),
        "nul\0inside subscribe",
        "ÜBER subscribe",
        "İstanbul channel",
        "chan\nnel",
        "my channel",
    ]
    items = [{"text": t} for t in texts]
    for lf in (
        keyword_lf("kw", ["subscribe", "channel", "über"], 1),
        keyword_lf("word", ["channel"], 0, whole_word=True),
        keyword_lf("case", ["Subscribe"], 1, case_sensitive=True),
    ):
        one_by_one = [lf(Record(x)) for x in items]
        assert votes(lf, items) == one_by_one
        assert votes(lf, items[:4] + items[5:]) == one_by_one[:4] + one_by_one[5:]
    assert votes(keyword_lf("kw", ["über"], 1), items) == [-1, -1, -1, -1, -1, 1, -1, -1, -1]
