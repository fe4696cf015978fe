"""Population analytics algorithms (issue 6, seed 002 §2.2): pure Python over pandas,
numpy, scikit-learn, mlxtend and statsmodels — no Django, so they run in tests, benchmarks
and on Spark workers alike (an import-linter contract keeps it so).

- ``describe``: age bands, counts by band × sex, prevalence, cross-tables;
- ``segmentation``: k-means segments with k chosen by silhouette, described in zh and en;
- ``rules``: association rules (FP-growth) between conditions, tags and services;
- ``forecast``: weekly SARIMAX forecasts, naive seasonal baseline, back-tests, staffing hints;
- ``backend``: the ``AnalyticsBackend`` interface and ``LocalBackend``;
- ``synthetic``: a seeded synthetic population with planted segments, rules and seasons.
"""
