"""Names Splunk knows, as data: search commands, eval functions, stats functions.

Written from the Splunk Search Reference (command quick reference, "Evaluation functions",
"Statistical and charting functions"), Splunk Enterprise 9.x. The lint rules in `lint.py` look
names up here in lower case (Splunk command and function names are not case-sensitive). Add a
name here, not in a rule, when Splunk documents a new one.
"""
from __future__ import annotations

import re

# Every command in the Search Reference's command quick reference, with its documented aliases.
COMMANDS = frozenset("""
    abstract excerpt accum addcoltotals addinfo addtotals analyzefields af anomalies
    anomalousvalue anomalydetection append appendcols appendpipe arules associate audit
    autoregress ar awssnsalert bin bucket discretize bucketdir chart cluster slc cofilter collect
    stash concurrency contingency counttable ctable convert correlate datamodel datamodelsimple
    dbinspect dedup delete delta diff dump entitymerge erex eval eventcount eventstats extract kv
    fieldformat fields fieldsummary filldown fillnull findkeywords findtypes folderize foreach
    format from fromjson gauge gentimes geom geomfilter geostats head highlight history iconify
    inputcsv inputintelligence inputlookup iplocation join kmeans kvform loadjob localize localop
    lookup makecontinuous makejson makemv makeresults map mcatalog mcollect metadata metasearch
    meventcollect mpreview msearch mstats multikv multisearch mvcombine mvexpand nomv noop outlier
    outputcsv outputlookup outputtext overlap pivot predict rangemap rare redistribute regex
    relevancy reltime rename replace require rest return reverse rex rtorder run script
    savedsearch scrub search searchtxn selfjoin sendalert sendemail set setfields sichart sirare
    sistats sitimechart sitop sort spath stats strcat streamstats table tags tail timechart
    timewrap tojson top transaction transpose trendline tscollect tstats typeahead typelearner
    typer union uniq untable walklex where x11 xmlkv xmlunescape xpath xyseries
""".split())

# Commands of widely installed Splunkbase apps that detection content uses: the Machine Learning
# Toolkit, SA-ldapsearch, DB Connect, CyberChef for Splunk, Splunk Enterprise Security.
APP_COMMANDS = frozenset("""
    fit apply score summary listmodels deletemodel sample
    ldapsearch ldapfilter ldapgroup ldapfetch ldaptestconnection
    dbxquery dbxoutput dbxlookup
    cyberchef
    expandtoken makejson
""".split())

# Evaluation functions (eval, where, fieldformat, `count(eval(...))`).
EVAL_FUNCTIONS = frozenset("""
    case cidrmatch coalesce false if in like lookup match null nullif searchmatch true validate
    ipmask printf tonumber tostring
    md5 sha1 sha256 sha512
    now relative_time strftime strptime time
    isbool isint isnotnull isnull isnum isstr typeof
    json json_append json_array json_array_to_mv json_delete json_entries json_extend
    json_extract json_extract_exact json_has_key_exact json_keys json_object json_set
    json_set_exact json_valid
    abs ceiling ceil exact exp floor ln log pi pow round sigfig sqrt sum
    commands mvappend mvcount mvdedup mvfilter mvfind mvindex mvjoin mvmap mvrange mvsort mvzip
    mv_to_json_array split
    avg max min random
    len lower ltrim replace rtrim spath substr trim upper urldecode
    acos acosh asin asinh atan atan2 atanh cos cosh hypot sin sinh tan tanh
    bit_and bit_not bit_or bit_shift_left bit_shift_right bit_xor
""".split())

# Statistical and charting functions (stats, chart, timechart, tstats, mstats ...).
STATS_FUNCTIONS = frozenset("""
    avg count c distinct_count dc estdc estdc_error max mean median min mode range stdev stdevp
    sum sumsq var varp first last list values earliest earliest_time latest latest_time
    per_day per_hour per_minute per_second rate rate_avg rate_sum sparkline
""".split())
# perc95, p99, exactperc99.9, upperperc75
_PERCENTILE = re.compile(r"(?:p|perc|exactperc|upperperc)\d+(?:\.\d+)?")


def is_command(name: str) -> bool:
    name = name.lower()
    return name in COMMANDS or name in APP_COMMANDS


def is_eval_function(name: str) -> bool:
    return name.lower() in EVAL_FUNCTIONS


def is_stats_function(name: str) -> bool:
    name = name.lower()
    return name in STATS_FUNCTIONS or _PERCENTILE.fullmatch(name) is not None
