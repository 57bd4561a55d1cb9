"""Pull-request integration: the sticky comment (``mlscan comment``) on GitHub pull requests and GitLab
merge requests, its Markdown safety and size limits, and the GitHub Action driver (``action``)."""
