"""The AQL functions IBM documents, by family: data for the unknown-function lint rule (DAC445).

Sources: IBM QRadar 7.5 "Ariel Query Language" guide, pages "AQL data calculation and formatting
functions", "AQL data aggregation functions", "AQL data retrieval functions" (which also lists the
GEO:: functions and the table function GLOBALVIEW) and the X-Force functions used in its sample
queries. Names are upper case; AQL function names are case-insensitive.

A name missing here makes DAC445 warn about a valid query: add it to its family (with the IBM page
that documents it) rather than suppressing the warning package by package.
"""
from __future__ import annotations

CALCULATION = frozenset({
    "BASE64", "CONCAT", "DATEFORMAT", "DOUBLE", "LONG", "LOWER", "NOW", "PARSEDATETIME",
    "PARSETIMESTAMP", "REPLACEALL", "REPLACEFIRST", "STR", "STRLEN", "STRPOS", "SUBSTRING",
    "UPPER", "UTF8",
})

AGGREGATION = frozenset({
    "AVG", "COUNT", "DISTINCTCOUNT", "FIRST", "LAST", "MAX", "MIN", "STDEV", "STDEVP", "SUM",
    "UNIQUECOUNT",
})

RETRIEVAL = frozenset({
    "APPLICATIONNAME", "ARIELSERVERS4EPID", "ARIELSERVERS4EPNAME", "ASSETHOSTNAME",
    "ASSETPROPERTY", "ASSETUSER", "CATEGORYNAME", "COMPONENTID", "DOMAINNAME", "FULLNETWORKNAME",
    "GLOBALVIEW", "HOSTNAME", "INCIDR", "INOFFENSE", "LOGSOURCEGROUPNAME", "LOGSOURCENAME",
    "LOGSOURCETYPENAME", "MATCHESASSETSEARCH", "NETWORKNAME", "OFFENSE_TIME", "PROCESSORNAME",
    "PROTOCOLNAME", "QIDDESCRIPTION", "QIDESCRIPTION", "QIDNAME", "REFERENCEMAP",
    "REFERENCEMAPSETCONTAINS", "REFERENCESETCONTAINS", "REFERENCETABLE", "RULENAME",
})

XFORCE = frozenset({
    "XFORCE_IP_CATEGORY", "XFORCE_IP_CONFIDENCE", "XFORCE_URL_CATEGORY", "XFORCE_URL_CONFIDENCE",
})

# Namespaced functions: NAMESPACE::NAME(...). Only namespaces listed here are checked; other
# namespaces are custom AQL functions installed by apps and content extensions.
NAMESPACED = {
    "GEO": frozenset({
        "LOOKUP", "LOOKUP_BY_DOMAIN", "LOOKUP_TEXT", "LOOKUP_TEXT_BY_DOMAIN", "DISTANCE",
        "DISTANCE_BY_DOMAIN",
    }),
}

KNOWN = CALCULATION | AGGREGATION | RETRIEVAL | XFORCE


def is_known(name: str) -> bool:
    """True when `name` (``QIDNAME`` or ``GEO::LOOKUP``, any case) is a documented function, or a
    function of a namespace this module does not check."""
    namespace, _, member = name.upper().rpartition("::")
    if not namespace:
        return member in KNOWN
    members = NAMESPACED.get(namespace)
    return members is None or member in members
