"""Archive triage: rank a department's CT series for review with the lesion finder, on one machine or a Dask cluster.

:func:`~lungview.triage.archive.discover` finds and groups the series (headers only);
:func:`~lungview.triage.runner.plan_triage` decides what each needs; :func:`~lungview.triage.runner.run_plan`
analyses them on a Dask cluster (:mod:`lungview.triage.cluster`) with :func:`~lungview.triage.task.analyse_series`
and records each in the SQLite :class:`~lungview.triage.worklist.Worklist`. No Qt here.
"""
