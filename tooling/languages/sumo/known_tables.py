"""The source categories and partitions the Sumo platform data (and the repository's
platforms.yml) knows, and the schema's spelling of field names: what references.py reports
names against."""
from __future__ import annotations

from fnmatch import fnmatchcase
from functools import lru_cache


@lru_cache(maxsize=1)
def _schema():
    try:
        from tooling.platforms import platform_schema

        return platform_schema("sumo")
    except Exception:  # noqa: BLE001 - without schema data the names stay as written
        return None


@lru_cache(maxsize=1)
def _spellings() -> dict[str, str]:
    """Lower-cased field name -> the schema's spelling (common fields first)."""
    schema = _schema()
    if schema is None:
        return {}
    out: dict[str, str] = {}
    for table in schema.tables.values():
        for name in table.fields:
            out.setdefault(name.lower(), name)
    out.update({name.lower(): name for name in schema.common_fields})
    return out


def _local_tables() -> dict:
    from tooling.platforms.local import local_in_use

    return local_in_use().tables("sumo")


def _known_tables(partitions: bool | None = None) -> dict[str, str]:
    """Lower-cased table name -> its spelling, schema and platforms.yml tables. `partitions`:
    only partitions (True) or only source categories (False). A partition name has no `/` (only
    letters, digits and underscores); the schema's source categories all have one, and a
    platforms.yml table counts as either."""
    schema = _schema()
    names = [name for name in (schema.tables if schema is not None else ())
             if partitions is None or ("/" not in name) == partitions]
    names += list(_local_tables())
    return {name.lower(): name for name in names}


def _table_name(value: str) -> str:
    """A source category or partition as the schema spells it (the scope matches them ignoring case)."""
    known = _known_tables()
    if value.lower() in known:
        return known[value.lower()]
    if "*" in value and not any(fnmatchcase(name, value) for name in known.values()):
        lowered = value.lower()
        if any(fnmatchcase(name.lower(), lowered) for name in known.values()):
            return lowered
    return value


def _expand(pattern: str, partitions: bool) -> tuple[str, ...]:
    """The known source categories (or partitions) a wildcard stands for, or the pattern itself
    when it matches none (so the field check is skipped)."""
    if "*" not in pattern:
        return (pattern,)
    known = _known_tables(partitions)
    found = [name for name in known.values() if fnmatchcase(name.lower(), pattern.lower())]
    return tuple(sorted(found)) or (pattern,)
