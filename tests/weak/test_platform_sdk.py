"""LFs run on the SDK user's machine: votes go to the server as predictions over
HTTP (the server never runs LF code), and the project's LF summary reads them, also
as ``GET /projects/{id}/weak/summary``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from fastapi.testclient import TestClient

from labelwell.client import Client
from labelwell.errors import Forbidden, InvalidInput
from labelwell.server import create_app
from labelwell.weak import LFAnalysis, LFApplier
from labelwell.work import weak as service
from sdk_transport import Via
from weak.test_platform_service import COMMENTS, direct_L, spam_world, write_lfs


def test_votes_sent_with_the_sdk_feed_the_summary(db, settings, tmp_path):
    world = spam_world(db)
    lfs = service.load_labeling_functions(write_lfs(tmp_path))
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        sdk = Client("http://testserver", world.token(world.manager), transport=Via(api))
        items = list(sdk.items(world.project_id))
        matrix = LFApplier(lfs).apply([it.data for it in items], progress=False)
        votes = service.vote_predictions([it.id for it in items], matrix, "label", ["ham", "spam"])
        assert sdk.add_predictions(world.project_id, votes) == int((matrix.L >= 0).sum())
        with db.read_session() as s:
            summary = service.lf_summary(s, world.manager, world.project_id)
        assert sdk.weak_summary(world.project_id) == dataclasses.asdict(summary)
        annotator = Client(
            "http://testserver", world.token(world.annotators[0]), transport=Via(api)
        )
        with pytest.raises(Forbidden):
            annotator.weak_summary(world.project_id)
        with pytest.raises(InvalidInput, match="no control named"):
            sdk.weak_summary(world.project_id, control="nope")
    L = direct_L(lfs)
    direct = LFAnalysis(L, lfs)
    assert [r.name for r in summary.lfs] == [lf.name for lf in lfs]
    assert [r.version for r in summary.lfs] == [lf.version for lf in lfs]
    np.testing.assert_allclose([r.coverage for r in summary.lfs], direct.lf_coverages())
    np.testing.assert_allclose([r.conflicts for r in summary.lfs], direct.lf_conflicts())
    assert summary.coverage == pytest.approx(direct.label_coverage())
    assert len(items) == len(COMMENTS)
