"""The credit manager's web pages (dashboard, worklist, customer sheet), served by the HTTP
service under ``/app``: ``risk.web.app.create_app``. See ``docs/web.md``."""
