"""Enrichment from French open data: BODACC proceedings and SIRENE company attributes.

Each source is read offline from files the user downloads, matched to the ledger's customers by
SIREN, and written as ordinary ledger rows (``legal_events``, ``customers`` columns) so that the
features, the models and the decisions use them without a second path. Every run returns a
report of what was matched, what was not and what was ambiguous; nothing is guessed silently.
"""
