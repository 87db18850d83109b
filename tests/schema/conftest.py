from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labelwell.errors import InvalidInput
from labelwell.schema import Ontology

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ontologies"

Refuse = Callable[..., InvalidInput]


@pytest.fixture
def refuse() -> Refuse:
    """``refuse(ont, result, data, field, *words)``: validation fails at exactly
    ``field`` and the message starts with the field and contains every word."""

    def check(
        ont: Ontology, result: Any, data: Any, field: str | None, *words: str
    ) -> InvalidInput:
        with pytest.raises(InvalidInput) as info:
            ont.validate(result, data)
        err = info.value
        assert err.field == field, err.message
        assert err.details.get("field") == field
        if field:
            assert err.message.startswith(f"{field}: "), err.message
        for word in words:
            assert word in err.message, err.message
        return err

    return check
