"""zongjie: fill a bureau's annual summary report from its ledgers.

The package is laid out by stage, each a sub-package that imports only those below it:

- :mod:`toolkit.data`: contract → load → validate → ledgers and parameters;
- :mod:`toolkit.report`: rules → figures → checks → corrections → render;
- :mod:`toolkit.publish`: PDF, notebook HTML, index page, 汇总表;
- :mod:`toolkit.run` and :mod:`toolkit.ui`: notebooks executed in kernels, batches;
  widgets and pages for reviewers;
- :mod:`toolkit.cli` on top. ``errors``, ``codes``, ``outputs`` and ``resources`` are the
  ground every stage stands on. ``docs/architecture.md`` draws it.
"""

__version__ = "0.1.0"
