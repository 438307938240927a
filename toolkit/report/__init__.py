"""Stage 2, the report: the rules that compute figures from the ledgers, report definitions
(``figures.yaml``), formatting, checks, corrections, and rendering the Word document.

Takes ledgers and parameters from :mod:`toolkit.data`; knows nothing of notebooks, kernels
or batches.
"""
