"""Org-wide scans: list an organisation's repositories, scan each (skipping the unchanged), keep the history
in a database and render a dashboard. Needs the ``org`` extra (GitPython, SQLAlchemy, Alembic); a plain
``mlscan scan`` never imports this package.

    interface.py  frozen types shared by the modules below
    sources.py    GitHub org, GitLab group, a list file, a directory of clones
    clones.py     the clone cache (GitPython, sanitised like mlscan.safegit)
    store.py      the results database (SQLAlchemy 2, Alembic migrations)
    queue.py      jobs claimed from the database (FOR UPDATE SKIP LOCKED, leases)
    worker.py     forked scans with a timeout and a memory limit
    dashboard.py  the static HTML dashboard, CSV and JSON exports
"""
