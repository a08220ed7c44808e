"""Sigma rule support: evaluating a rule's detection against sample events."""
