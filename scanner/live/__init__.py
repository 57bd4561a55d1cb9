"""Live evidence: what MLflow, Kubernetes and AWS say is really running, linked to what the repository declares.

``interface`` holds the frozen types; ``mlflow``, ``k8s`` and ``aws`` are the probes (each imports its optional
library only when called); ``declared`` finds the names a repository gives its objects; ``evidence`` turns linked
objects into observed findings and contradictions; ``run`` ties them together for the engine.
"""
