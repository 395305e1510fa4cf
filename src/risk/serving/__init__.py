"""The HTTP service's plain parts: settings, request/response models, API keys, audit log.

The BentoML service itself lives in ``service/service.py`` and stays thin: it validates with
these models, calls ``risk.scoring`` and writes the audit record.
"""
