"""Importers and exporters, registered by name (see ``registry``)."""
