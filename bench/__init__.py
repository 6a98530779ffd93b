"""Hand-run measurements of the library and the page; the test suite never runs them.

Run each from the repository's root as a module, ``python -m bench.<name>``; ``bench/README.md``
says what each measures. The shared parts: :mod:`bench.photos` (the photos), :mod:`bench.peers`
(the other quantisers, each defined once), :mod:`bench.revisions` (another git revision's
``quantize``, timed beside this one), :mod:`bench.machine` (what the figures ran on) and, for the
page, :mod:`bench.page_tools`.
"""
