"""The query functions of LogScale's function reference (CrowdStrike Query Language), as data.

LogScale matches function names without regard to case (`groupby()` is `groupBy()`), so look-ups
go through `is_known_function`, which lower-cases. Namespaced functions (`array:contains`,
`math:log`, `time:hour`) are listed with their namespace. Saved searches and macros (`$name()`)
are not functions and are never looked up here.

Sources: the "Query Functions" pages of the LogScale library (library.humio.com, the alphabetical
listing and the per-category tables: aggregate, array, comparison, condition, data manipulation,
event/field, filtering, formatting, geolocation, hashing, math, network, parsing, regular
expression, security, string, time, and the Falcon/Next-Gen SIEM extras). Functions marked
deprecated are kept while LogScale still accepts them, so that older queries are not flagged.
"""
from __future__ import annotations

_GLOBAL = """
    accumulate asn avg base64Decode base64Encode bucket callFunction cidr coalesce collect
    communityId concat concatArray copyEvent correlate count counterAsRate createEvents default
    defineTable drop dropEvent duration end eval eventFieldCount eventInternals eventSize fieldset
    fieldstats findTimestamp format formatDuration formatTime geohash getField groupBy hash
    hashMatch hashRewrite head if in ipLocation join kvParse length linReg lookup lower lowercase
    match max min neighbor now parseCEF parseCsv parseFixedWidth parseHexString parseInt parseJson
    parseLEEF parseTimestamp parseUri parseUrl parseXml partition percentile range rdns readFile
    regex rename replace round sample sankey select selectFromMax selectFromMin selectLast selfJoin
    selfJoinFilter series session setField setTimeInterval shannonEntropy slidingTimeWindow
    slidingWindow sort split splitString start stats stdDev stripAnsiCodes subnet sum table tail
    test timeChart tokenHash top transpose upper urlDecode urlEncode wildcard window worldMap
    writeJson
"""

_NAMESPACED = {
    "array": """append contains dedup drop eval exists filter intersection length reduceAll
                reduceColumn reduceRow regex rename sort union""",
    "objectArray": "eval exists",
    "beta": "param repeating",
    "bitfield": "extractFlags extractFlagsAsArray extractFlagsAsString",
    "crypto": "md5 sha1 sha256",
    "geography": "distance",
    "ioc": "lookup",
    "json": "prettyPrint",
    "xml": "prettyPrint",
    "math": """abs arccos arcsin arctan arctan2 ceil cos cosh deg2rad exp expm1 floor log log10
               log1p log2 mod pow rad2deg sin sinh spherical2cartesian sqrt tan tanh""",
    "text": "contains endsWith length positionOf startsWith substring",
    "time": """dayOfMonth dayOfWeek dayOfWeekName dayOfYear hour millisecond minute month
               monthName second weekOfYear year""",
    "unit": "convert",
}

FUNCTIONS: frozenset[str] = frozenset(
    _GLOBAL.split()
    + [f"{space}:{name}" for space, names in _NAMESPACED.items() for name in names.split()]
)

_LOWER = frozenset(name.lower() for name in FUNCTIONS)


def is_known_function(name: str) -> bool:
    """True when `name` is a function of the reference (case-insensitive, as LogScale matches)."""
    return name.lower() in _LOWER
