"""A project's bias audit by annotator group, compared with scipy on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from labelwell.errors import Forbidden, InvalidInput
from labelwell.work.rlhf import project_bias_audit
from rlhf.rlhf_project import CHOICES, RATINGS, judged_duel


@pytest.fixture
def world(db):
    return judged_duel(db)


def test_audit_by_locale_matches_scipy(db, world):
    with db.read_session() as s:
        audit = project_bias_audit(s, world.manager, world.project_id, by="locale")
    assert audit.annotators == {"de": 2, "en": 1}
    assert audit.n_judgments == 18 + 18
    pref, rating = audit.audits
    assert (pref.control, pref.kind, pref.test) == ("pref", "preference", "chi2")
    de = CHOICES["ann1"] + CHOICES["ann2"]
    en = CHOICES["ann0"]
    outcomes = sorted(set(de + en))
    table = np.array([[g.count(o) for o in outcomes] for g in (de, en)])
    ref = stats.chi2_contingency(table, correction=False)
    assert pref.statistic == pytest.approx(ref.statistic)
    assert pref.p_value == pytest.approx(ref.pvalue)
    assert pref.groups[0] == {
        "group": "de",
        "n": 12,
        "counts": dict(zip(outcomes, table[0].tolist(), strict=True)),
    }
    assert (rating.control, rating.test) == ("helpful", "mannwhitney")
    ref = stats.mannwhitneyu(
        [RATINGS["ann1"]] * 6 + [RATINGS["ann2"]] * 6, [RATINGS["ann0"]] * 6, method="asymptotic"
    )
    assert rating.p_value == pytest.approx(ref.pvalue)
    assert rating.groups[1] == {"group": "en", "n": 6, "mean": 5.0, "median": 5.0, "std": 0.0}
    # Holm over the two tests: the smaller p doubled, the larger at least that
    p = sorted([pref.p_value, rating.p_value])
    assert sorted([pref.p_holm, rating.p_holm]) == pytest.approx(
        [min(1, 2 * p[0]), max(min(1, 2 * p[0]), p[1])]
    )
    assert rating.significant


def test_audit_by_skill_and_role(db, world):
    with db.read_session() as s:
        by_skill = project_bias_audit(s, world.manager, world.project_id, by="skill:de")
        assert by_skill.annotators == {"de": 2, "not de": 1}
        with pytest.raises(InvalidInput) as info:
            project_bias_audit(s, world.manager, world.project_id, by="role")  # all annotators
        assert info.value.field == "by"
        with pytest.raises(InvalidInput) as info:
            project_bias_audit(s, world.manager, world.project_id, by="shoe_size")
        assert info.value.field == "by" and "locale" in info.value.message
        with pytest.raises(InvalidInput) as info:
            project_bias_audit(s, world.manager, world.project_id, alpha=2)
        assert info.value.field == "alpha"
        with pytest.raises(Forbidden):
            project_bias_audit(s, world.annotators[0], world.project_id)
