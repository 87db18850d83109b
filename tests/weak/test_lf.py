import pickle
import re

import numpy as np
import pandas as pd
import pytest

from labelwell.errors import InvalidInput
from labelwell.weak import (
    LabelingFunction,
    keyword_lf,
    labeling_function,
    lookup_lf,
    threshold_lf,
)
from labelwell.weak.lf import Batch, Record

ITEMS = [
    {"text": "Check out my channel!", "author": "spammer1", "stars": 1},
    {"text": "I love this song", "author": "fan", "stars": 5},
    {"text": "Subscribe to me PLEASE", "author": "spammer2", "stars": None},
    {"text": "great video, see my channel", "author": "fan", "stars": 3},
]


@labeling_function()
def mentions_channel(x):
    return 1 if "channel" in x.text.lower() else -1


def strip_lower(x):
    return Record(x, text=x["text"].strip().lower())


@labeling_function(name="short", resources={"limit": 18}, pre=[strip_lower])
def short_comment(x, limit):
    return 0 if len(x.text) < limit else -1


def votes(lf, items=ITEMS):
    return lf.vote_batch(Batch(items)).tolist()


def test_decorator_names_and_versions():
    assert isinstance(mentions_channel, LabelingFunction)
    assert mentions_channel.name == "mentions_channel" and short_comment.name == "short"
    assert re.fullmatch(r"[0-9a-f]{12}", mentions_channel.version)
    assert mentions_channel.version != short_comment.version
    assert mentions_channel(Record(ITEMS[0])) == 1
    assert votes(mentions_channel) == [1, -1, -1, 1]
    assert votes(short_comment) == [-1, 0, -1, -1]


def test_version_follows_the_source_code():
    def vote(x):
        return 1

    def other(x):
        return 0

    same = LabelingFunction("a", vote).version
    assert LabelingFunction("b", vote).version == same
    assert LabelingFunction("a", other).version != same


def test_batches_from_frames_and_dicts_vote_alike():
    frame = pd.DataFrame(ITEMS)
    for lf in (mentions_channel, short_comment):
        assert votes(lf, frame) == votes(lf, ITEMS)


def test_lfs_survive_pickling():
    for lf in (
        mentions_channel,
        short_comment,
        keyword_lf("kw", ["channel"], 1),
        threshold_lf("t", "stars", 1, max=2),
        lookup_lf("l", {"fan": 0}, field="author"),
    ):
        copy = pickle.loads(pickle.dumps(lf))
        assert copy.name == lf.name and copy.version == lf.version
        assert votes(copy) == votes(lf)
    assert pickle.loads(pickle.dumps(mentions_channel)) is mentions_channel


def test_bad_votes_are_reported_with_the_lf_name():
    lf = LabelingFunction("maybe", lambda x: None)
    with pytest.raises(InvalidInput, match="'maybe' returned None"):
        votes(lf)
    low = LabelingFunction("low", lambda x: -3)
    with pytest.raises(InvalidInput, match="below -1"):
        votes(low)
    assert np.array_equal(
        LabelingFunction("np", lambda x: np.int8(1)).vote_batch(Batch(ITEMS)), [1] * 4
    )
