"""Synthetic data: generators (Self-Instruct, Evol-Instruct, QA pairs from
documents, paraphrases) over any OpenAI-compatible server, their filters, and
the guards that keep machine-made data honest (distribution shift, near
duplicates, verbatim overlap). Plain Python and numpy: no store, no server."""

from labelwell.synth.records import Candidate, Provenance, SeedItem
from labelwell.synth.rouge import rouge_l, rouge_l_max, tokens

__all__ = ["Candidate", "Provenance", "SeedItem", "rouge_l", "rouge_l_max", "tokens"]
