"""The shared RE2 -> Python `regex` translation (tooling/languages/re2.py): each RE2 fact with a case
where it applies and one where it does not (github.com/google/re2/wiki/Syntax)."""
from __future__ import annotations

import pytest
import regex

from tooling.languages.re2 import NotRe2, refusal, translate


def matches(pattern: str, text: str, *, ascii_flag: bool = True) -> bool:
    flags = regex.V0 | (regex.ASCII if ascii_flag else 0)
    return regex.compile(translate(pattern).text, flags).search(text) is not None


def refused(pattern: str) -> str:
    with pytest.raises(NotRe2) as caught:
        translate(pattern)
    return str(caught.value)


# ---- what RE2 refuses: lookaround, atomic / conditional groups, Perl-only group syntax ----------

@pytest.mark.parametrize("pattern, named", [
    ("a(?=b)", "lookahead"), ("a(?!b)", "lookahead"), ("(?<=a)b", "lookbehind"), ("(?<!a)b", "lookbehind"),
    ("(?>a)", "atomic"), ("(?(1)a|b)", "conditional"), ("(?|a|b)", "branch reset"), ("(?#note)a", "comment"),
    ("(?P<n>a)(?P=n)", "backreference"), ("(?P<n>a)(?P>n)", "recursive"), ("(a)(?1)", "(?1"),
    ("(?R)", "recursive"), ("(*FAIL)", "verb"),
])
def test_group_syntax_re2_has_not_is_refused(pattern, named):
    assert named in refused(pattern)


def test_lookaround_reason_says_lookaround():
    assert "lookaround" in refused("(?=x)")


@pytest.mark.parametrize("pattern, text", [
    ("a(?:b)", "ab"), ("(?P<x>a)b", "ab"), ("(?<x>a)b", "ab"), ("(?i:A)b", "ab"), ("()a", "a"),
])
def test_group_syntax_re2_has_is_translated(pattern, text):
    assert matches(pattern, text)


def test_escaped_group_openers_are_literals():
    assert matches(r"\(?=a", "=a")
    assert matches(r"[(?=]", "=")


# ---- flags -------------------------------------------------------------------------------------

def test_flags_re2_has_are_translated_and_reported():
    found = translate("(?ms)a.$")
    assert found.multiline and found.dotall
    plain = translate("a.$")
    assert not plain.multiline and not plain.dotall
    assert not translate("(?-m)a$").multiline


@pytest.mark.parametrize("pattern", ["(?x)a b", "(?a)a", "(?-)a", "(?i-)a"])
def test_flags_re2_has_not_are_refused(pattern):
    assert "not RE2" in refused(pattern)


def test_ungreedy_flag_is_refused():
    assert "ungreedy" in refused("(?U)a+")
    assert "ungreedy" in refused("(?i:(?-U)a)")


def test_a_late_flag_group_holds_until_its_group_closes_across_alternatives():
    assert matches("a(?i)b|c", "C") and matches("a(?i)b|c", "aB")
    assert not matches("a(?i)b|c", "AB")
    assert matches("(?:a(?i)b)c", "aBc")
    assert not matches("(?:a(?i)b)c", "aBC")


# ---- back-references and octal escapes -----------------------------------------------------------

@pytest.mark.parametrize("pattern", [r"(a)\1", r"(a)\9", r"[\1]", r"(a)\8"])
def test_backreferences_are_refused(pattern):
    assert "backreference" in refused(pattern)


@pytest.mark.parametrize("pattern, text", [(r"\12", "\n"), (r"\101", "A"), (r"\0", "\0"), (r"\\1", "\\1")])
def test_octal_escapes_and_an_escaped_backslash_are_not_backreferences(pattern, text):
    assert matches(pattern, text)


# ---- escapes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [r"a\Z", r"\Ga", r"a\Kb", r"\R", r"\X", r"\u0041", r"\N{DIGIT ONE}", r"\e",
                                     r"\cK", r"\h", r"\k<n>", r"\g1", r"\y", "\\é", "a\\"])
def test_escapes_re2_has_not_are_refused(pattern):
    refused(pattern)


def test_a_single_byte_escape_is_refused():
    assert "byte" in refused(r"\C")


@pytest.mark.parametrize("pattern, text", [
    (r"\x41", "A"), (r"\x{41}", "A"), (r"\x{1F600}", "\U0001F600"), (r"\.", "."), (r"\t", "\t"), (r"\v", "\v"),
    (r"\pL", "é"), (r"\p{Greek}", "α"), (r"\PL", "1"), (r"\AA", "A"), (r"\*", "*"), (r"\_", "_"),
])
def test_escapes_re2_has_are_translated(pattern, text):
    assert matches(pattern, text)


def test_negated_unicode_class_in_braces():
    assert matches(r"\p{^Greek}", "a")
    assert not matches(r"\p{^Greek}", "α")


@pytest.mark.parametrize("pattern", [r"\x4", r"\x{}", r"\x{110000}", r"\xZZ"])
def test_malformed_hex_escapes_are_refused(pattern):
    refused(pattern)


# ---- $ and \z: the end of the text -------------------------------------------------------------

def test_dollar_without_m_is_the_end_of_the_text_only():
    assert matches("a$", "xa")
    assert not matches("a$", "a\n")
    assert translate("a$").text == "a\\Z"


def test_dollar_with_m_is_the_end_of_a_line():
    assert matches("(?m)a$", "a\nb")
    assert matches("(?m:a$)", "a\nb")
    assert not matches("(?m:a)$", "a\nb")


def test_dollar_after_a_scoped_m_group_is_the_end_of_the_text():
    assert not matches("(?m:a$)|b$", "b\n")
    assert matches("(?m:a$)|b$", "a\n")


def test_dollar_in_a_class_is_a_literal():
    assert matches("[$]", "$")
    assert not matches("[$]", "a")


def test_lower_z_is_the_end_of_the_text():
    assert matches(r"a\z", "a")
    assert not matches(r"a\z", "a\n")


# ---- \Q...\E -----------------------------------------------------------------------------------

def test_q_e_quotes():
    assert matches(r"\Qa.b\E", "a.b")
    assert not matches(r"\Qa.b\E", "axb")
    assert matches(r"\Qa.b", "a.b")  # to the end without \E
    assert matches(r"\Q(a\E+", "(aa")


def test_q_e_is_not_quoting_after_an_escaped_backslash():
    assert matches(r"\\Qa", "\\Qa")


def test_q_in_a_class_is_refused():
    refused(r"[\Qa\E]")


# ---- ASCII classes -----------------------------------------------------------------------------

def test_class_escapes_are_ascii_and_reported():
    assert translate(r"\w+").ascii_classes
    assert not matches(r"^\w$", "é")
    assert matches(r"^\w$", "e")
    assert not matches(r"\d", "\u0663")  # ARABIC-INDIC DIGIT THREE
    assert matches(r"\d", "3")
    assert matches(r"\bab\b", "x ab y")
    assert not matches(r"\bab\b", "xab")


def test_an_escaped_backslash_before_w_is_no_class():
    assert not translate(r"\\w").ascii_classes
    assert not translate("abc").ascii_classes


def test_space_class_is_re2s_without_the_vertical_tab():
    for pattern in (r"\s", r"[\s]", r"[^\S]"):
        assert matches(pattern, "\t") and matches(pattern, " ")
        assert not matches(pattern, "\x0b")
    assert matches(r"\S", "\x0b") and matches(r"[\S]", "\x0b")
    assert not matches(r"\S", " ")


def test_b_in_a_class_is_refused():
    refused(r"[\b]")
    refused(r"[\z]")


def test_range_ending_at_a_class_is_refused():
    refused(r"[\w-a]")
    refused(r"[a-\d]")
    assert matches(r"[\w-]", "-") and matches(r"[-\w]", "-")


# ---- character classes -------------------------------------------------------------------------

def test_leading_bracket_in_a_class_is_literal():
    assert matches("[]a]", "]")
    assert not matches("[]a]", "b")
    assert matches("[^]a]", "b")
    assert not matches("[^]a]", "]")


def test_posix_classes_are_ascii():
    assert matches("[[:alpha:]]", "a")
    assert not matches("[[:alpha:]]", "é", ascii_flag=False)
    assert matches("[[:^digit:]]", "é", ascii_flag=False)
    assert not matches("[[:^digit:]]", "5")
    assert matches("[[:space:]]", "\x0b")  # [:space:] has the vertical tab, \s has not
    assert not translate("[[:word:]]").ascii_classes


def test_unknown_posix_class_is_refused():
    assert "[:foo:]" in refused("[[:foo:]]")


def test_posix_syntax_outside_brackets_is_a_plain_class():
    assert matches("[:alpha:]", ":")
    assert not matches("[:alpha:]", "b")


def test_a_dollar_after_a_posix_class_is_still_in_the_class():
    assert matches("[[:digit:]$]", "$")
    assert not matches("[[:digit:]$]", "a")


# ---- repetitions -------------------------------------------------------------------------------

def test_repetition_counts_up_to_1000():
    assert matches("a{1000}", "a" * 1000)
    assert "over 1000" in refused("a{1001}")
    assert "over 1000" in refused("a{2,1001}")


def test_nested_repetition_counts_multiply():
    assert matches("(a{10}){100}", "a" * 1000)
    assert "over 1000" in refused("(a{10}){101}")
    assert "over 1000" in refused("((a{2}){2}){251}")


def test_a_brace_that_is_no_repetition_is_literal():
    assert matches("a{,2}", "a{,2}")
    assert not matches("a{,2}", "a")
    assert matches("a{x}", "a{x}")
    assert matches(r"\{1001}", "{1001}")


@pytest.mark.parametrize("pattern", ["a*+", "a++", "a?+", "a{2}+", "a{2,}+"])
def test_possessive_quantifiers_are_refused(pattern):
    assert "possessive" in refused(pattern)


@pytest.mark.parametrize("pattern, text", [("a+?", "a"), ("a??b", "b"), ("a{2}?", "aa"), ("a}+", "a}}"), (r"\++", "++")])
def test_lazy_quantifiers_and_literal_braces_are_translated(pattern, text):
    assert matches(pattern, text)


# ---- the refusal helper --------------------------------------------------------------------------

def test_refusal_names_the_reason_or_none():
    assert refusal("a(?=b)") is not None
    assert refusal("a(?:b)") is None


# ---- Unicode classes stay Unicode whatever the caller's ASCII flag ---------------------------

def test_unicode_classes_are_unicode_under_the_ascii_flag():
    assert matches(r"\pL", "é") and matches(r"[\pL]", "é") and matches(r"\p{Lu}", "É")
    assert not matches(r"\pL", "1") and not matches(r"[\pL]", "1")


def test_class_escapes_in_a_class_are_ascii_without_the_ascii_flag():
    assert not matches(r"[\d]", "\u0663", ascii_flag=False)
    assert not matches(r"[\w\pN]", "é", ascii_flag=False)
    assert matches(r"[\w\pN]", "\u0663", ascii_flag=False)
    assert matches(r"[\W]", "é", ascii_flag=False) and not matches(r"[\W]", "a", ascii_flag=False)
