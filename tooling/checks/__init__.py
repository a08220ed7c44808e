"""Package checks: small functions, each with one job, each returning `Diagnostic`s.

A check takes a `Package` (values plus source positions) and never prints. Checks that need
every package at once (duplicate ids, related links) live in `repository.py`.
"""
