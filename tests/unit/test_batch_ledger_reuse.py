"""A batch notebook reads the copy of the ledgers the batch hands it, never one read before."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


def _load(path):
    from toolkit.ui import notebook

    InteractiveShell.instance()
    with capture_output():
        return notebook.load("", str(path))


def test_each_notebook_reads_the_copy_it_is_given(sample_ledgers, tmp_path):
    from toolkit.data.ledgers import Ledgers

    cache = tmp_path / "ledgers.pkl"
    sample_ledgers.save(cache)
    assert _load(cache).bureaus == sample_ledgers.bureaus

    # the batch writes a new copy in place (one bureau fewer, same size class): read anew, at once
    kept = [c for c in sample_ledgers.bureaus if c != sample_ledgers.bureaus[0]]
    smaller = Ledgers(
        *(
            getattr(sample_ledgers, t)[getattr(sample_ledgers, t)["bureau"].isin(kept)]
            for t in ("activities", "problems", "finance")
        )
    )
    smaller.save(cache)
    assert _load(cache).bureaus == kept

    # another bureau's copy elsewhere is read from its own file
    other = tmp_path / "other.pkl"
    sample_ledgers.save(other)
    assert _load(other).bureaus == sample_ledgers.bureaus
