"""The composition root and the process: settings read from the environment, the one place that
wires the domain, the flows and the Slack side together (build.py, the only importer of
handlers/ outside handlers/), the HTTP server, the worker, the workspaces' tokens, logging,
/metrics and the health probes (metrics.py, health.py: prometheus-client stays here, out of the
domain), and `python -m bot`'s commands. Nothing is built at import time."""
