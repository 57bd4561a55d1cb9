"""``mlscan diff``: what a change does to a repository's maturity.

Two scans (two refs of one repository, or two saved JSON reports) become one diff document: the
level and yes-count change, every answer that changed with the evidence that appeared or disappeared,
the pitfalls added or removed, per framework. ``refs`` scans refs without a checkout, ``compare`` builds
the document, ``render`` writes it as terminal text, Markdown or JSON, ``cli`` is the command.
"""
