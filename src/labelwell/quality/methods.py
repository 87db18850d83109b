"""Names of the built-in aggregation methods, importable without loading them
(the registry in ``labelwell.quality.registry`` maps each to its class)."""

METHOD_NAMES: tuple[str, ...] = (
    "mv",
    "wmv",
    "wawa",
    "ds",
    "onecoin",
    "glad",
    "mace",
    "bwa",
    "ebcc",
)
