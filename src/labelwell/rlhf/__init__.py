"""Preference data for RLHF: prompts, generated responses, human comparisons,
Bradley-Terry leaderboards, reward models and TRL exports.

The maths works on plain records and frames, with no server or database:

* :mod:`~labelwell.rlhf.records` — prompts, responses, comparisons, pairs;
* :mod:`~labelwell.rlhf.prompts` — prompt import with tags, diversity report;
* :mod:`~labelwell.rlhf.generate` — OpenAI-compatible and local generators;
* :mod:`~labelwell.rlhf.pairs` — rankings to pairs (all-pairs, best-vs-rest,
  best-vs-random-lower);
* :mod:`~labelwell.rlhf.aggregate` — majority with ties, ranked pairs, ratings;
* :mod:`~labelwell.rlhf.decisions` — what a project's judgments decide: which
  count, consensus per pair, ties, both-bad, corrections;
* :mod:`~labelwell.rlhf.bias` — bias audit by annotator group;
* :mod:`~labelwell.rlhf.bradley_terry` — Arena-style leaderboard with bootstrap CIs;
* :mod:`~labelwell.rlhf.reward_model` — reward head on frozen embeddings (torch);
* :mod:`~labelwell.rlhf.imports` / :mod:`~labelwell.rlhf.exports` — existing
  preference data in, DPO/reward/KTO/SFT files out.

Submodules are imported on use, so ``import labelwell.rlhf`` stays light.
"""

from __future__ import annotations
