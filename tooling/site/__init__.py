"""The documentation site: mkdocs hooks that generate pages from the packages at build time.

hooks.py (mkdocs events) -> catalog.py (load packages) -> generate.py (every generated page) ->
package_page.py / testing.py / sigma.py (a package page), attack_pages.py (tactic hub, coverage
matrix), reference_pages.py (diagnostic codes, package format); escape.py (all package text goes
through it), lexers.py (Pygments lexers from the Lark grammars), parallel.py (worker processes).
"""
