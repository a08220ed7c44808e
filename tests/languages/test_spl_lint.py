"""SPL lint rules DAC420-DAC428: what each reports, where, and what it leaves alone."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from lark import Token, Tree

from tooling.diagnostics.lint.spl import CODES
from tooling.languages import get_language
from tooling.languages.spl import lint, names, pcre

SPL = get_language("spl")


def lint_of(query: str) -> list[tuple[str, int, int]]:
    result = SPL.parse(query)
    assert result.ok, result.diagnostics
    return [(d.code, d.line, d.column) for d in result.diagnostics]


def codes(query: str) -> set[str]:
    return {code for code, _, _ in lint_of(query)}


# --- DAC420 unknown command ----------------------------------------------------------------------
def test_unknown_command_is_reported_at_its_name():
    assert lint_of("index=a\n| stat count by host") == [("DAC420", 2, 3)]
    assert lint_of("index=a\n| tabel user\n| dedupe user") == [("DAC420", 2, 3), ("DAC420", 3, 3)]
    message = SPL.parse("index=a | tabel user").diagnostics[0].message
    assert "'tabel'" in message and "Search Reference" in message


@pytest.mark.parametrize("query", [
    "index=a | head 5 | tail 2 | reverse | uniq",
    "index=a | spath input=j | xmlkv | multikv | kvform | extract pairdelim=\",\"",
    "index=a | fillnull value=0 | filldown | accum x | delta x as d | autoregress x p=1",
    "index=a | transaction user maxspan=5m | cluster t=0.8 | kmeans k=3 a b | outlier x",
    "index=a | fit DensityFunction bytes by host into m | apply m",   # Machine Learning Toolkit
    "| ldapsearch search=\"(objectClass=user)\" | table cn",           # SA-ldapsearch
    "| makeresults | eval x=1 | collect index=summary | sendalert risk",
    "index=a | `my_custom_command(1)` | HEAD 5",                       # macros; names any case
])
def test_known_commands_and_macros_are_not_reported(query):
    assert "DAC420" not in codes(query)


def test_command_list_is_data():
    assert names.is_command("tstats") and names.is_command("STATS") and names.is_command("fit")
    assert not names.is_command("tabel")


# --- DAC421 leading wildcard --------------------------------------------------------------------
def test_leading_wildcard_in_bare_terms():
    assert lint_of("index=a *mimikatz* \"*sekurlsa\"") == [("DAC421", 1, 9), ("DAC421", 1, 20)]
    assert lint_of("index=a NOT *.tmp") == [("DAC421", 1, 13)]
    assert lint_of("index=a | search x OR *evil") == [("DAC421", 1, 23)]
    assert lint_of("index=a [search index=b *x | fields u]") == [("DAC421", 1, 25)]
    assert lint_of("| tstats count where index=a *x by host") == [("DAC421", 1, 30)]


@pytest.mark.parametrize("query", [
    'index=sysmon EventCode=1 Image="*\\\\sc.exe" CommandLine="*stop*"',  # base.yml: field=value
    "index=a user=*admin process IN (\"*cmd.exe\", *psexec*)",
    "index=* | search *",                                 # a lone * is "everything", not a prefix
    "index=a mimi* \"sekurlsa*\"",                        # trailing wildcards use the index
    "index=a | table *id | fields - *_tmp | rename *_x as *",  # field lists are not searches
])
def test_wildcards_that_are_not_leading_search_terms(query):
    assert "DAC421" not in codes(query)


# --- DAC422 wildcard in an eval/where comparison ------------------------------------------------
def test_wildcard_string_compared_in_where_and_eval():
    assert lint_of('index=a\n| where user="adm*"') == [("DAC422", 2, 14)]
    assert lint_of('index=a | where "*x"==cmd') == [("DAC422", 1, 17)]
    assert lint_of('index=a | eval bad=if(cmd!="*vss*", 0, 1)') == [("DAC422", 1, 28)]
    assert lint_of('index=a | where cmd IN ("a", "*b*")') == [("DAC422", 1, 30)]
    assert lint_of('index=a | where in(cmd, "*b*")') == [("DAC422", 1, 25)]
    assert lint_of('index=a | stats count(eval(x="*y")) as n') == [("DAC422", 1, 30)]
    assert lint_of('index=a | where like(cmd, "*vss*") OR cmd LIKE "*x"') == [("DAC422", 1, 27),
                                                                              ("DAC422", 1, 48)]
    assert "like() patterns use %" in SPL.parse('index=a | where like(c, "*v")').diagnostics[0].message


@pytest.mark.parametrize("query", [
    'index=a | where like(cmd, "%vss%") OR match(cmd, ".*vss.*") OR cmd LIKE "%x%"',
    'index=a | search cmd="*vss*"',                       # search globs
    'index=a | eval label="*" . user, n=x*2',             # not a comparison / arithmetic
    'index=a | where cmd="vssadmin" AND searchmatch("cmd=*vss*")',
    'index=a | where like(cmd, "%*%") OR cmd NOT LIKE "%a*b%"',  # with % the * is meant literally
])
def test_eval_without_literal_wildcard_comparison(query):
    assert "DAC422" not in codes(query)


# --- DAC423 / DAC424 regular expressions --------------------------------------------------------
def test_rex_without_named_group():
    assert lint_of('index=a\n| rex field=x "user=(\\w+)"') == [("DAC423", 2, 15)]
    assert lint_of('index=a | rex "(?i)no groups at all"') == [("DAC423", 1, 15)]


@pytest.mark.parametrize("query", [
    'index=a | rex field=x "user=(?<user>\\w+)"',
    'index=a | rex "(?P<user>\\w+)@(?\'domain\'\\S+)"',
    'index=a | rex mode=sed field=x "s/(\\d+)/N/g"',      # sed expressions have no groups
    'index=a | rex field=x "(?<$name$>\\w+)"',             # a dashboard token, DAC401 only
])
def test_rex_with_named_group_or_sed(query):
    assert "DAC423" not in codes(query)


def test_regexes_that_do_not_compile():
    assert lint_of('index=a | rex "(?<u>\\w+"') == [("DAC424", 1, 15)]
    assert lint_of('index=a\n| regex cmd="[a-z"') == [("DAC424", 2, 13)]
    assert lint_of('index=a | regex "*x"') == [("DAC424", 1, 17)]
    assert lint_of('index=a | where match(x, "a)")') == [("DAC424", 1, 26)]
    assert lint_of('index=a | eval y=replace(x, "(?<a>.)(?<a>.)", "")') == [("DAC424", 1, 29)]
    assert "unbalanced parenthesis" in SPL.parse('index=a | where match(x, "a)")').diagnostics[0].message


@pytest.mark.parametrize("pattern", [
    r"(?i)\bsc\s+stop\b", r"\h+\K(?<v>\d+)", r"a(?i)b", r"[\w-]+", r"\Q(literal\E", r"(?<=ab|c)d",
    r"(?>atomic)++", r"\p{Lu}\x{41}", r"(?R)?", r"[[:alpha:]]+", r"\\\\server\\share",
])
def test_pcre_features_python_lacks_are_not_reported(pattern):
    assert pcre.regex_error(pattern) is None


def test_spl_strings_are_unescaped_before_compiling():
    assert pcre.spl_string(r'"a\\b\"c\d"') == r'a\b"c\d'
    # "\\\\" in SPL is `\\` in the regex: a literal backslash, valid
    assert "DAC424" not in codes(r'index=a | where match(x, "C:\\\\Windows")')
    # "\\" in SPL is a lone `\` in the regex: a dangling escape
    assert "DAC424" in codes(r'index=a | where match(x, "C:\\")')


# --- DAC425 lower-case boolean operators --------------------------------------------------------
def test_lowercase_operators_in_searches():
    assert lint_of("index=a user=admin or user=root") == [("DAC425", 1, 20)]
    assert lint_of("index=a (x=1 and y=2) Not z") == [("DAC425", 1, 14), ("DAC425", 1, 23)]
    assert lint_of("| tstats count where a=1 or b=2 by h") == [("DAC425", 1, 26)]


@pytest.mark.parametrize("query", [
    'index=a user=admin OR user=root NOT "or"',          # upper case; a quoted word is a phrase
    "index=a | where a=1 or b=2 and not c=3",            # eval accepts lower case
    "index=a | table or and not",                        # arguments, not searches
    "index=a ORACLE android notepad",
])
def test_operators_that_are_fine(query):
    assert "DAC425" not in codes(query)


# --- DAC426 / DAC427 unknown functions ----------------------------------------------------------
def test_unknown_eval_functions():
    assert lint_of('index=a | eval n=lenght(x)') == [("DAC426", 1, 18)]
    assert lint_of('index=a\n| where isnotnul(x) AND startswith(y, "a")') == [("DAC426", 2, 9),
                                                                               ("DAC426", 2, 25)]


def test_known_eval_functions_any_case():
    query = ('index=a | eval a=IF(isnull(x), mvindex(split(y, ","), 0), coalesce(z, "-")), '
             'b=strftime(relative_time(now(), "-1d@d"), "%F"), c=json_extract(j, "a"), d=in(x, 1)')
    assert codes(query) == set()


def test_unknown_stats_functions():
    assert lint_of("index=a | stats cnt by h") == [("DAC427", 1, 17)]
    assert lint_of("index=a | timechart distinct(u)") == [("DAC427", 1, 21)]
    assert lint_of("| tstats average(x) from datamodel=D") == [("DAC427", 1, 10)]


def test_known_stats_functions():
    query = ("index=a | stats count c(x) dc(u) perc95(t) p99.9(t) exactperc50(t) upperperc5(t) "
             "values(v) earliest(_time) latest_time(_time) stdevp(t) sparkline(count) by h")
    assert codes(query) == set()


# --- DAC428 _time made a string -----------------------------------------------------------------
def test_time_made_a_string():
    assert lint_of('index=a | eval _time=strftime(_time, "%F")') == [("DAC428", 1, 22)]
    assert lint_of('index=a | eval x=1, _time="2024-01-01"') == [("DAC428", 1, 27)]


def test_time_kept_a_number():
    assert codes('index=a | eval _time=strptime(ts, "%F"), t=strftime(_time, "%F")') == set()
    assert codes('index=a | fieldformat _time=strftime(_time, "%F")') == set()


# --- all rules ----------------------------------------------------------------------------------
@pytest.mark.parametrize("code", [c.code for c in CODES])
def test_documented_examples(code):
    entry = next(c for c in CODES if c.code == code)
    bad = yaml.safe_load(entry.bad)["queries"]["spl"]
    good = yaml.safe_load(entry.good)["queries"]["spl"]
    assert [c for c, _, _ in lint_of(bad)] == [code]
    assert lint_of(good) == []
    assert entry.name.startswith("spl-") and entry.summary and entry.why and entry.fix


def test_every_code_has_a_rule_and_a_fixture():
    from tests.fixtures.lint_spl import EXPECTED, FIXTURES

    assert {c.code for c in CODES} == set(EXPECTED) == set(FIXTURES)
    assert all(code.startswith("DAC42") for code in EXPECTED)
    assert len(lint.RULES) == len(CODES) and set(lint.RULES) <= set(SPL.lint_rules)


def test_base_fixture_query_is_clean():
    base = yaml.safe_load((Path(__file__).parents[1] / "fixtures" / "base.yml").read_text())
    assert lint_of(base["queries"]["spl"]) == []


@pytest.mark.parametrize("tree", [
    None, "text", Tree("start", []), Tree("call", []), Tree("generic_cmd", [Tree("x", [])]),
    Tree("rex_cmd", [Token("WORD", "x")]), Tree("required_cmd", [Token("WORD", "regex")]),
    Tree("compare", [Token("STRING", '"*"')]), Tree("assignment", []),
    Tree("pipeline", [Tree("in_call", [Token("NAME", "x")]), Tree("agg_func", [])]),
])
def test_rules_never_raise_on_odd_trees(tree):
    for rule in lint.RULES:
        assert list(rule(tree, "")) == [] or all(d.code.startswith("DAC42") for d in rule(tree, ""))
