"""What every other package of bucle may import: the error base, atomic files, the clock.

It imports nothing of bucle, so that ``training/`` (which knows nothing of Argilla or the loop)
and ``annotation/`` share one error type and one way of writing a file safely.
"""
