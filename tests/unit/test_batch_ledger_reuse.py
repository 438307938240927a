"""A batch kernel reads the batch's validated ledgers once, not once per notebook."""

from __future__ import annotations

import os

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


def _load(path):
    from toolkit import notebook

    InteractiveShell.instance()
    with capture_output():
        return notebook.load("", str(path))


def test_the_cached_copy_is_read_once_and_reread_when_it_changes(sample_ledgers, tmp_path):
    from toolkit.ledgers import Ledgers

    cache = tmp_path / "ledgers.pkl"
    sample_ledgers.save(cache)
    first = _load(cache)
    assert first.bureaus == sample_ledgers.bureaus
    assert _load(cache) is first  # the next notebook in this kernel: no second unpickling

    # the batch writes a new copy (one bureau fewer): the next notebook reads it, not the old one
    kept = [c for c in sample_ledgers.bureaus if c != sample_ledgers.bureaus[0]]
    smaller = Ledgers(
        *(
            getattr(sample_ledgers, t)[getattr(sample_ledgers, t)["bureau"].isin(kept)]
            for t in ("activities", "problems", "finance")
        )
    )
    smaller.save(cache)
    stat = cache.stat()
    os.utime(cache, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = _load(cache)
    assert second is not first
    assert second.bureaus == kept

    # another batch's copy elsewhere is read from its own file
    other = tmp_path / "other.pkl"
    sample_ledgers.save(other)
    assert _load(other).bureaus == sample_ledgers.bureaus
