"""Stage 4, running notebooks: one run's spec, input fingerprints, kernels kept across
notebooks, the papermill engine, workers, and the batch from plan to summary.
"""
