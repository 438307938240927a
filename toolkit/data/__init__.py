"""Stage 1, the data: the contract, reading the ledgers, validating every cell, the
bureaus' parameter files, and the problems and notices a clerk reads about them.

Nothing here knows about reports: the stages above take :class:`~toolkit.data.ledgers.Ledgers`
and :class:`~toolkit.data.params.BureauParams` as plain values.
"""
