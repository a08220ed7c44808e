"""Sumo Logic search language vocabulary, as data: operators, aggregate functions, metadata.

Taken from the official reference (https://www.sumologic.com/help/docs/search/search-query-language/:
search operators, parse operators, group or aggregate operators, math expressions, transaction
analytics, LogReduce/LogCompare, subqueries). Names are lower-case: Sumo matches operator
names without regard to case. When Sumo documents a new operator, add it here; the
unknown-operator lint rule (DAC456) reads these sets and nothing else.
"""
from __future__ import annotations

# Group or aggregate operators: `| count by x`, `| sum(bytes) as total by host`, ...
AGGREGATE_FUNCTIONS = frozenset({
    "avg", "count", "count_distinct", "count_frequent", "first", "last", "median", "min", "max",
    "most_recent", "least_recent", "pct", "percentile", "pct_sampling", "stddev", "sum", "values",
    "topk",
})

# Parse operators (`parse` itself, with `regex`/`xml`, has its own grammar rule).
PARSE_OPERATORS = frozenset({
    "parse", "extract", "json", "keyvalue", "kv", "csv", "split", "xml", "parsedate", "parsehex",
})

# Search operators that stand as a stage: `| <name> <arguments>` or `| <name>(...) as x`.
SEARCH_OPERATORS = frozenset({
    "accum", "as", "backshift", "bin", "cat", "compare", "compose", "dedup", "diff", "fields",
    "fillmissing", "filter", "geoip", "join", "limit", "lookup", "order", "outlier", "predict",
    "rollingstd", "save", "sessionize", "smooth", "sort", "threatip", "threatlookup", "timeslice",
    "top", "total", "tourl", "trace", "transpose", "where", "macro",
    # transaction analytics
    "transaction", "transactionize", "merge",
    # behaviour insights
    "logreduce", "logcompare", "logexplain", "summarize",
    # in shipped app-catalog queries: timestamp for most_recent, ML inference, Global Intelligence
    "withtime", "infer", "benchmark",
})

# Functions that may also head a stage, as in `| toLowerCase(user) as user` or `| num(bytes)`.
FUNCTIONS = frozenset({
    "base64decode", "base64encode", "comparecidrprefix", "getcidrprefix", "maskfromcidr",
    "concat", "contains", "dectohex", "format", "formatdate", "hash", "haversine",
    "hextoascii", "hextodec", "if", "in", "ipv4tonumber", "isnull", "isempty", "isblank",
    "isnumeric", "isprivateip", "ispublicip", "isreservedip", "isvalidip", "isvalidipv4",
    "isvalidipv6", "jsonarraycontains", "jsonarraysize", "length", "lookupcontains", "luhn",
    "matches", "now", "num", "todouble", "toint", "tolong", "tostring", "querystarttime",
    "queryendtime", "querytimerange", "replace", "substring", "tolowercase", "touppercase",
    "trim", "urldecode", "urlencode", "parsedate", "parsehex",
    # math expressions
    "abs", "acos", "asin", "atan", "atan2", "cbrt", "ceil", "cos", "cosh", "exp", "expm1",
    "floor", "hypot", "log", "log10", "log1p", "round", "sin", "sinh", "sqrt", "tan", "tanh",
    "todegrees", "toradians", "isnan", "isinfinity",
})

# Every name that may start a stage.
OPERATORS = AGGREGATE_FUNCTIONS | PARSE_OPERATORS | SEARCH_OPERATORS | FUNCTIONS

# Built-in metadata fields (searchable in the scope). Fields starting with `_` are Sumo's own
# (metadata, `_raw`, `_count`, `_timeslice`, ...), never extracted by the query.
METADATA_FIELDS = frozenset({
    "_collector", "_collectorid", "_source", "_sourceid", "_sourcecategory", "_sourcehost",
    "_sourcename", "_index", "_view", "_datatier", "_messagetime", "_receipttime", "_raw",
    "_size", "_format", "_messageid", "_blockid", "_messagecount", "_sourceip",
})

# Scope fields that select which data is searched (partitions, views, sources).
SOURCE_SELECTORS = frozenset({
    "_collector", "_collectorid", "_source", "_sourceid", "_sourcecategory", "_sourcehost",
    "_sourcename", "_index", "_view", "_datatier", "_sourceip",
})
