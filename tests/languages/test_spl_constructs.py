"""SPL constructs practitioners write, every command of the Search Reference, error wording, and a
property test that mutated queries never crash or hang the parser. Queries are written here."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from tests.languages.support import mutated, survives
from tooling.languages import get_language
from tooling.languages.spl import names

SPL = get_language("spl")


def clean(query: str) -> None:
    """The query parses and no lint rule other than DAC401 (dashboard tokens) fires."""
    result = SPL.parse(query)
    assert result.ok, result.diagnostics
    assert [d for d in result.diagnostics if d.code != "DAC401"] == []


# --- constructs the issue lists ------------------------------------------------------------------
CONSTRUCTS = {
    "macro as the first search": "`wineventlog_security` EventCode=4720",
    "macro with arguments first": '`cim_filter("Authentication", "failure")` user=adm*',
    "macro as a command": "index=a | `security_content_ctime(firstTime)` | `filter_fp`",
    "macro with arguments as a command": "index=a | `ctime(lastTime)` | `drop_dm_object_name(\"Web\")`",
    "tstats from a data model": "| tstats summariesonly=true allow_old_summaries=true count "
                                "from datamodel=Endpoint.Processes where Processes.process_name=certutil.exe "
                                "by Processes.dest Processes.user",
    "tstats by _time with span": "| tstats count from datamodel=Network_Traffic.All_Traffic "
                                 "by All_Traffic.src _time span=10m",
    "inputlookup": "| inputlookup admin_accounts.csv | fields user",
    "inputlookup with where": "| inputlookup append=true kv_assets where priority=\"critical\"",
    "implicit AND": "index=os sourcetype=linux_secure action=failure user=root",
    "OR and NOT": "index=os (action=failure OR action=blocked) NOT src=127.0.0.1",
    "explicit AND": "index=os action=failure AND user!=svc_backup",
    "!= and comparisons": "index=fw bytes>100000 dest_port!=443 duration<=2",
    "IN list": 'index=proc process_name IN ("psexec.exe", "paexec.exe", wmic.exe)',
    "wildcards": 'index=proc process_path="C:\\\\Users\\\\*\\\\AppData\\\\*" parent=*explorer*',
    "TERM and CASE": "index=net TERM(192.168.10.5) CASE(ERROR)",
    "earliest and latest": "index=auth earliest=-7d@d latest=@d action=success",
    "subsearch in the search": "index=proxy [| inputlookup iocs.csv | rename ioc as url | fields url]",
    "NOT subsearch": "index=auth NOT [search index=allowlist | fields user]",
    "eval functions": 'index=a | eval sev=case(score>90, "critical", score>50, "high", true(), "low"), '
                      'u=coalesce(user, src_user, "unknown"), t=strftime(_time, "%Y-%m-%d"), '
                      'last=mvindex(split(path, "/"), -1)',
    "where with match and like": 'index=a | where match(cmd, "(?i)invoke-\\w+") OR like(cmd, "%-enc%")',
    "if with isnull": 'index=a | eval admin=if(isnull(groups), "no", "yes")',
    "concatenation": 'index=a | eval id=host . ":" . pid',
    "quoted field names": "index=a | eval arn='userIdentity.arn', n='request parameters'",
    "stats with as and by": "index=a | stats count as attempts dc(src) as sources values(user) AS users by dest",
    "stats by quoted field": 'index=a | stats sum(bytes) by "dest ip", app',
    "rename": 'index=a | rename src_ip as src, "User Name" as user, Processes.* as *',
    "rex with field and max_match": 'index=a | rex field=url max_match=5 "[?&](?<param>\\w+)="',
    "spath": "index=a | spath input=payload path=events{}.name output=event_names",
    "lookup OUTPUT": "index=a | lookup asset_lookup ip AS src OUTPUT owner AS src_owner category",
    "lookup OUTPUTNEW": "index=a | lookup user_info user OUTPUTNEW department",
    "join": "index=a | join type=inner max=0 user [search index=hr | fields user manager]",
    "append": "index=a | append [search index=b | stats count by user]",
    "map search": 'index=a | map maxsearches=20 search="search index=b host=$host$ | head 1"',
    "fit and apply": "index=a | fit IsolationForest bytes duration into fw_model | apply fw_model",
    "comments": "index=a ```failed logons only``` action=failure\n```then count```\n| stats count",
    "dashboard token": "index=$idx$ user=$user$ | where count > $threshold$",
}


@pytest.mark.parametrize("query", CONSTRUCTS.values(), ids=CONSTRUCTS.keys())
def test_construct_parses_cleanly(query):
    clean(query)


def test_dashboard_tokens_only_give_dac401():
    result = SPL.parse(CONSTRUCTS["dashboard token"])
    assert [d.code for d in result.diagnostics] == ["DAC401"] * 3


# --- every command of the Search Reference, in its documented form -------------------------------
REFERENCE = [
    "index=a | abstract maxlines=5", "index=a | accum bytes AS total", "index=a | addcoltotals labelfield=t",
    "index=a | addinfo", "index=a | addtotals row=true col=true fieldname=sum", "index=a | analyzefields classfield=c",
    "index=a | anomalies threshold=0.03", "index=a | anomalousvalue action=filter pthresh=0.02",
    "index=a | anomalydetection method=histogram action=annotate", "index=a | append maxout=100 [search index=b]",
    "index=a | appendcols [search index=b | stats count]", "index=a | appendpipe [stats count by host]",
    "index=a | arules sup=3 conf=.5 a b", "index=a | associate supcnt=3", "index=a | autoregress count p=2-5",
    "index=a | bin _time span=1h", "index=a | bucket size bins=10", "index=a | bucketdir pathfield=source",
    "index=a | chart avg(bytes) over host by status", "index=a | cluster t=0.9 showcount=true",
    "index=a | cofilter user item", "index=a | collect index=summary marker=\"report=x\"",
    "index=a | concurrency duration=total_time", "index=a | contingency usecolumn=f host status",
    "index=a | convert timeformat=\"%Y\" ctime(_time) AS year", "index=a | correlate",
    "| datamodel Network_Traffic All_Traffic search", "| dbinspect index=main", "index=a | dedup 2 user sortby -_time",
    "index=junk | delete", "index=a | delta count AS change p=1", "index=a | diff position1=1 position2=2",
    "index=a | erex user examples=\"alice,bob\"", "index=a | eval x=1", "| eventcount summarize=false index=*",
    "index=a | eventstats avg(bytes) as avg_bytes by host", "index=a | extract pairdelim=\";\" kvdelim=\"=\"",
    "index=a | fieldformat bytes=tostring(bytes, \"commas\")", "index=a | fields + host, user",
    "index=a | fieldsummary maxvals=5", "index=a | filldown user", "index=a | fillnull value=NULL user src",
    "index=a | findtypes max=10", "index=a | folderize attr=uri sep=\"/\"",
    "index=a | foreach bytes_* [eval <<FIELD>>=round(<<FIELD>>/1024, 2)]", "index=a | format maxresults=50",
    "| from datamodel:\"Authentication.Failed_Authentication\"", "index=a | fromjson payload prefix=p_",
    "index=a | stats count | gauge count 0 100 500", "| gentimes start=-7 increment=1d",
    "index=a | geom geo_countries featureIdField=country", "index=a | geostats latfield=lat longfield=lon count by app",
    "index=a | head 20", "index=a | highlight error fail", "| history events=true", "index=a | iconify user",
    "| inputcsv events.csv", "| inputlookup users.csv", "index=a | iplocation allfields=true src",
    "index=a | join left=L right=R where L.id=R.id [search index=b]", "index=a | kmeans k=4 bytes duration",
    "index=a | kvform field=form", "| loadjob savedsearch=\"admin:search:Daily\"", "index=a | localize maxpause=5m",
    "index=a | lookup geo ip OUTPUT city", "index=a | makecontinuous _time span=1h",
    "index=a | makemv delim=\",\" recipients", "| makeresults count=5 annotate=true",
    "index=a | map search=\"search index=b user=$user$\"", "index=a | mcollect index=metrics_idx",
    "| metadata type=sourcetypes index=main", "| metasearch index=main sourcetype=syslog",
    "| mpreview index=metrics_idx", "| mstats avg(cpu.util) WHERE index=metrics_idx span=1m BY host",
    "index=a | multikv fields pid cmd", "| multisearch [search index=a] [search index=b]",
    "index=a | mvcombine delim=\",\" host", "index=a | mvexpand recipients limit=50", "index=a | nomv recipients",
    "index=a | outlier action=transform bytes", "index=a | outputcsv results.csv", "index=a | outputlookup append=true seen.csv",
    "| pivot Web Web count(Web) AS Count SPLITROW status", "index=a | timechart count | predict count future_timespan=7",
    "index=a | rangemap field=count low=0-10 elevated=11-100 default=severe", "index=a | rare limit=5 user",
    "index=a | regex _raw!=\"^#\"", "index=a | reltime", "index=a | rename count AS total",
    "index=a | replace \"-\" WITH \"unknown\" IN user", "| rest /services/server/info splunk_server=local",
    "index=a [search index=b | return 10 user]", "index=a | reverse", "index=a | rex \"(?<user>\\w+)@\"",
    "| savedsearch daily_failures", "search index=a error", "index=a | sendemail to=\"soc@example.com\" sendresults=true",
    "| set diff [search index=a | fields user] [search index=b | fields user]",
    "index=a | sichart count by host", "index=a | sirare user", "index=a | sistats count by host",
    "index=a | sitimechart count by host", "index=a | sitop user", "index=a | sort 0 -count +user",
    "index=a | spath output=name path=user.name", "index=a | stats count", "index=a | strcat host \":\" port hostport",
    "index=a | streamstats current=false last(_time) as prev by user", "index=a | table _time host user",
    "index=a | tags outputfield=tag_list host", "index=a | tail 5", "index=a | timechart span=1d count by user limit=10",
    "index=a | timechart count | timewrap 1w", "index=a | tojson auto(bytes) str(user)", "index=a | top limit=10 showperc=false user",
    "index=a | transaction user startswith=\"login\" endswith=\"logout\" maxspan=1h", "index=a | transpose 5 header_field=host",
    "index=a | trendline sma5(count) AS trend", "index=a | tscollect namespace=ns", "| tstats count WHERE index=main BY sourcetype",
    "| typeahead prefix=sourcetype count=10", "| union [search index=a] [search index=b]", "index=a | uniq",
    "index=a | untable _time host count", "| walklex index=main type=term prefix=err",
    "index=a | where bytes > 1000 AND isnotnull(user)", "index=a | timechart count | x11 add12(count)",
    "index=a | xmlkv", "index=a | xmlunescape", "index=a | xpath outfield=name \"//user/name\"",
    "index=a | xyseries host status count", "index=summary | overlap",
    "index=a | geom geo_us_states | geomfilter min_x=-115.0 max_y=45.5",
]


@pytest.mark.parametrize("query", REFERENCE)
def test_reference_command_parses_cleanly(query):
    clean(query)


def test_reference_queries_cover_the_command_list():
    used = {name.lower() for query in REFERENCE for name in re.findall(r"(?:^|\|\s*|\[\s*)(\w+)", query)}
    # aliases and commands that only run with special data or apps installed
    not_shown = {"excerpt", "af", "ar", "discretize", "slc", "stash", "counttable", "ctable", "kv",
                 "datamodelsimple", "dump", "entitymerge", "findkeywords", "inputintelligence", "localop",
                 "meventcollect", "msearch", "mcatalog", "noop", "outputtext", "redistribute", "relevancy",
                 "require", "rtorder", "run", "script", "scrub", "searchtxn", "selfjoin", "setfields",
                 "typelearner", "typer", "awssnsalert", "sendalert", "audit", "makejson"}
    assert names.COMMANDS - used - not_shown == set()


@pytest.mark.parametrize("function", sorted(names.EVAL_FUNCTIONS - {"in", "like"}))
def test_every_eval_function_is_a_call_node(function):
    result = SPL.parse(f"index=a | eval x={function}(a, \"b\")")
    assert result.ok and [d.code for d in result.diagnostics] == []
    assert str(next(result.tree.find_data("call")).children[0]) == function


@pytest.mark.parametrize("function", sorted(names.STATS_FUNCTIONS - {"count", "c"}) + ["perc95", "p50"])
def test_every_stats_function_is_an_aggregation(function):
    result = SPL.parse(f"index=a | stats {function}(bytes) as v by host")
    assert result.ok and [d.code for d in result.diagnostics] == []
    assert str(next(result.tree.find_data("agg_func")).children[0]) == function


# --- error wording -------------------------------------------------------------------------------
WELL_FORMED = [
    '`sysmon` index=win (EventCode=1 OR EventCode=13) NOT user IN ("a", b) TERM(10.0.0.1)\n'
    '| where like(x, "a%") AND y!=2\n| eval a=if(b>1, "x", \'c d\') . "z", n=-1*2\n'
    '| stats count dc(u) as users by host span=1h\n| rex field=_raw max_match=0 "(?<u>\\w+)"\n'
    '| rename a as b, c as d\n| table a b',
    "| tstats summariesonly=t count min(_time) as ft from datamodel=Endpoint.Processes "
    "where Processes.name=\"x\" by Processes.dest | `drop(Processes)` | foreach a* [eval <<FIELD>>=1] "
    "| chart count over a by b | lookup t a OUTPUT b | join type=left a [search index=b | fields a]",
    'index=a ```c``` | timechart span=1h count by host | appendpipe [| stats count] | map search="x" '
    "| eval z=x XOR y, w=NOT z LIKE \"%a\" | fit DensityFunction x by y into m",
]
# An internal terminal name: upper case with underscores, or Lark's anonymous names.
INTERNAL = re.compile(r"\b[A-Z][A-Z_]{2,}\b|anon|__|\bRPAR\b|\bLPAR\b")


def expected_part(message: str) -> str:
    """The `expected ...` list, with quoted literals ('AND', 'BY') and readable names removed."""
    listed = message.split("; expected ", 1)[1] if "; expected " in message else ""
    return re.sub(r"'[^']*'|<<FIELD>>|TERM\(\) or CASE\(\)", "", listed)


def test_no_internal_terminal_names_in_any_error():
    seen = 0
    for query in WELL_FORMED:
        broken = [query[:cut] for cut in range(1, len(query))]
        broken += [query[:cut] + ")" + query[cut:] for cut in range(0, len(query), 7)]
        broken += [query[:cut] + query[cut + 1:] for cut in range(0, len(query), 3)]
        for text in broken:
            result = SPL.parse(text)
            for d in result.diagnostics:
                if d.code != "DAC301":
                    continue
                seen += 1
                assert not INTERNAL.search(expected_part(d.message)), (text, d.message)
                assert "anon" not in d.message.lower() and "__" not in d.message
    assert seen > 300


def test_expected_lists_use_the_language_words():
    message = SPL.parse("index=a | eval x=").diagnostics[0].message
    assert "a field or function name" in message and "a number" in message
    message = SPL.parse("index=a | stats count by").diagnostics[0].message
    assert "a field name" in message
    message = SPL.parse("index=a NOT").diagnostics[0].message
    assert "a search term" in message and "a TERM() or CASE() directive" in message


# --- property test: mutated queries never crash or hang ------------------------------------------
SEEDS = WELL_FORMED + list(CONSTRUCTS.values())[:20] + REFERENCE[::9]
TOKEN = re.compile(r"\s+|```|[()\[\]|,=!<>\"'`$]|[^\s()\[\]|,=!<>\"'`$]+")


def tokens(query: str) -> list[str]:
    return TOKEN.findall(query)


@settings(max_examples=200, deadline=None)
@given(mutated([tokens(seed) for seed in SEEDS]))
def test_mutated_queries_never_raise_or_hang(text):
    result = survives(SPL, text)
    if not result.ok:
        assert [d.code for d in result.diagnostics] in (["DAC301"], ["DAC302"])
