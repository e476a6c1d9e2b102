"""The offline side of matching: simulation, population, worlds, training and reports.

Nothing in the serving engine (``service/matching/*.py``) imports this package; the
service only loads the artifact that ``accessmatch train`` writes.
"""
