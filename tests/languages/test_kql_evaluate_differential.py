"""KQL evaluation points the differential test (tests/differential/test_kql.py) found missing:
pySigma's Kusto backend writes `ipv4_is_in_range()` for Sigma's `cidr` modifier and `or` chains of
hundreds of terms. Expected values written by hand from the Kusto documentation
(learn.microsoft.com/kusto/query/...), each page cited; a positive and a negative case each.
"""
from __future__ import annotations

import pytest

from tooling.languages import get_language

KQL = get_language("kql")


def ev(**fields):
    return {"$table": "T", **fields}


def matched(query, events):
    result = KQL.evaluate(query, events)
    assert result.ok, result.reason
    return result.matched


# ipv4-is-in-range-function: "true: If the long representation of the first IPv4 string argument
# is in range of the second IPv4 string argument. false: Otherwise. null: If conversion for one of
# the two IPv4 strings wasn't successful." The range is IP-prefix notation (prefix length 0..32).
IN_RANGE = [
    ('ipv4_is_in_range(ip, "10.0.0.0/8")', "10.1.2.3", True),
    ('ipv4_is_in_range(ip, "10.0.0.0/8")', "11.1.2.3", False),
    # the page's example: '192.168.1.1' is in '192.168.1.255/24' (the prefix masks the range's own bits)
    ('ipv4_is_in_range(ip, "192.168.1.255/24")', "192.168.1.1", True),
    ('ipv4_is_in_range(ip, "192.168.1.255/24")', "192.168.2.1", False),
    # the page's example: a range without a prefix is the one address ('192.168.1.1', '192.168.1.1')
    ('ipv4_is_in_range(ip, "192.168.1.1")', "192.168.1.1", True),
    ('ipv4_is_in_range(ip, "192.168.1.1")', "192.168.1.2", False),
    ('ipv4_is_in_range(ip, "0.0.0.0/0")', "203.0.113.9", True),
    ('ipv4_is_in_range(ip, "172.16.0.0/12")', "172.32.0.1", False),
    # null when a conversion fails: an IPv6 range or address, an empty string; `where` keeps true only
    ('isnull(ipv4_is_in_range(ip, "::1/128"))', "127.0.0.1", True),
    ('isnull(ipv4_is_in_range(ip, "127.0.0.0/8"))', "127.0.0.1", False),
    ('isnull(ipv4_is_in_range(ip, "127.0.0.0/8"))', "", True),
    ('isnull(ipv4_is_in_range(ip, "127.0.0.0/8"))', "fe80::1", True),
    ('isnull(ipv4_is_in_range(ip, "10.0.0.0/33"))', "10.0.0.1", True),
    # ipv4-is-in-any-range-function: true if the address is in any of the ranges, strings or a
    # dynamic array of them
    ('ipv4_is_in_any_range(ip, "10.0.0.0/8", "192.168.0.0/16")', "192.168.4.4", True),
    ('ipv4_is_in_any_range(ip, "10.0.0.0/8", "192.168.0.0/16")', "172.16.4.4", False),
    ('ipv4_is_in_any_range(ip, dynamic(["10.0.0.0/8", "127.0.0.1"]))', "127.0.0.1", True),
    ('ipv4_is_in_any_range(ip, dynamic(["10.0.0.0/8", "127.0.0.1"]))', "127.0.0.2", False),
]


@pytest.mark.parametrize("predicate,ip,expected", IN_RANGE)
def test_ipv4_ranges(predicate, ip, expected):
    assert matched(f"T | where {predicate}", [ev(ip=ip)]) == ([0] if expected else [])


def test_sigma_cidr_filter_as_pysigma_writes_it():
    # `not(a or b or ...)`: an address in none of the ranges passes; the IPv6 range's null does
    # not make the `or` true (logical-operators: only a true operand does).
    query = ('T | where not((ipv4_is_in_range(ip, "127.0.0.0/8") or ipv4_is_in_range(ip, "10.0.0.0/8") '
             'or ipv4_is_in_range(ip, "::1/128")))')
    assert matched(query, [ev(ip="8.8.8.8"), ev(ip="10.9.9.9"), ev(ip="127.0.0.1")]) == [0]


@pytest.mark.parametrize("text", ["010.0.0.1", "10.0.0.1 ", "10.0.0.1/8"])
def test_ipv4_forms_the_documentation_does_not_settle_are_not_evaluated(text):
    # leading zeros (octal?), surrounding spaces, a prefix on the address argument
    result = KQL.evaluate('T | where ipv4_is_in_range(ip, "10.0.0.0/8")', [ev(ip=text)])
    assert not result.ok and "IPv4" in result.reason


def test_any_range_with_a_range_that_does_not_convert_is_not_evaluated():
    # null (conversion failed) or true (another range holds it)? The page does not say.
    result = KQL.evaluate('T | where ipv4_is_in_any_range(ip, "10.0.0.0/8", "::1/128")', [ev(ip="10.0.0.1")])
    assert not result.ok and "ipv4_is_in_any_range" in result.reason


# logical-operators: `or` is true if either operand is; `and` only if both are. A chain of many
# terms (pySigma writes one `contains` per value: 976 in one SigmaHQ rule) is one level each in
# the parse tree; it must evaluate, not hit the recursion limit.
@pytest.mark.parametrize("size", [10, 3000])
def test_long_or_chain(size):
    query = "T | where " + " or ".join(f'A contains "v{i}x"' for i in range(size))
    assert matched(query, [ev(A=f"-v{size - 1}x-"), ev(A="none"), ev(A="-v0x-")]) == [0, 2]


@pytest.mark.parametrize("size", [10, 3000])
def test_long_and_chain(size):
    query = "T | where " + " and ".join(f'A !contains "v{i}x"' for i in range(size))
    assert matched(query, [ev(A=f"-v{size - 1}x-"), ev(A="none")]) == [1]


def test_chain_keeps_precedence_and_order():
    # `and` binds tighter than `or`: a or b and c is a or (b and c)
    query = 'T | where A == "a" or B == "b" and C == "c"'
    assert matched(query, [ev(A="a", B="", C=""), ev(A="", B="b", C=""), ev(A="", B="b", C="c")]) == [0, 2]
