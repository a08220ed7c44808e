"""Query lint codes, one module per language, merged into the registry by `codes.py`.

Ranges: DAC401 is the shared template-placeholder rule; DAC41x KQL, DAC42x SPL, DAC43x EQL,
DAC44x AQL, DAC45x Sumo Logic, DAC46x YARA-L, DAC47x LogScale. Each module defines `CODES`, a
list of `Code` entries with full documentation (what, why, bad, good, fix).
"""

LANGUAGE_MODULES = ("kql", "spl", "eql", "aql", "sumo", "yaral", "logscale")
