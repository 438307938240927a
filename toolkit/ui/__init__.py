"""The edge people see inside Jupyter: the notebooks' façade, the review panel, tables and
charts for reviewers, the overview, and the Voilà / JupyterLab launchers.
"""
