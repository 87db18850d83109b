"""What Airflow reads through the ``apache_airflow_provider`` entry point.

Airflow loads this while it reads its own configuration, before ``airflow.sdk``
can be imported: so it imports nothing of Airflow (the provider's hook,
operators and sensor are in :mod:`labelwell.integrations.airflow`)."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    """The provider's name and its connection type."""
    return {
        "package-name": "labelwell",
        "name": "labelwell",
        "description": "Labeling pipelines on a labelwell server.",
        "connection-types": [
            {
                "hook-class-name": "labelwell.integrations.airflow.LabelwellHook",
                "connection-type": "labelwell",
            }
        ],
    }
