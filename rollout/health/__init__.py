"""Health and observability: /healthz, the beat heartbeat, task log lines.

`/healthz` (no login, no data) answers 200 or 503 with a small JSON body: the database, the broker,
whether beat's notice dispatch ran recently (a heartbeat row in the database, written by a Celery
signal, `signals.py`, so a Redis restarted empty does not lose it), and the age of the oldest notice due and not sent and of the oldest delivery
left `sending` (`selectors.py`, index-backed). Each probe is a django-health-check `HealthCheck`.
"""
