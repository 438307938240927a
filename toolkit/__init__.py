"""zongjie: fill a bureau's annual summary report from its ledgers.

The pipeline, one module a stage: ``load`` → ``validate`` → ``figures`` →
``checks`` → ``render``; ``batch`` fans it out over bureaus, ``review`` and ``cli``
sit at the edge.
"""

__version__ = "0.1.0"
