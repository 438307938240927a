"""Stage 4, running notebooks: one run's spec, input fingerprints, kernels kept across
notebooks, the papermill engine, workers, and the batch from plan to summary.

Every process that runs notebooks (the batch, its workers, a cluster's workers) imports
this package before papermill or nbformat. ``jsonschema``, which nbformat imports, also
imports the optional ``rfc3987_syntax`` when it is installed (here it comes with
JupyterLab's dependencies), which builds a parser for IRIs at import: about 1 s of CPU in
every process, for a check ("iri" formats) no notebook schema uses (nbformat validates with
``fastjsonschema``). It is marked absent, so ``jsonschema`` skips it as if not installed.
Batch kernels do the same when they start (``kernels.PRELOAD``).
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
