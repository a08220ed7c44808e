"""RE2 regular expressions (the syntax of Kusto, Google SecOps YARA-L and Sumo Logic) translated
once into Python `regex` (version 0) patterns with RE2's meaning, or refused with the reason.

`translate(pattern)` gives a `Translation`: the Python pattern text, whether an `m` or `s` flag is
turned on somewhere, and whether an ASCII class escape occurs (`\\w \\W \\d \\D \\s \\S \\b \\B`,
whose RE2 meaning is ASCII: the caller compiles with `regex.ASCII`, or decides what to do about
non-ASCII text). A pattern RE2 refuses, or one with no faithful translation, raises `NotRe2`
naming the construct. What each language does with either (compile flags, case folding, caching,
not evaluated at which node) is the caller's policy.

RE2 facts encoded here (github.com/google/re2/wiki/Syntax, doc/syntax.txt in google/re2):

* No lookaround `(?=` `(?!` `(?<=` `(?<!`, atomic groups `(?>`, conditional groups `(?(`, branch
  reset `(?|`, comments `(?#`, named back-references `(?P=name)`, recursion `(?R)` `(?1)`
  `(?&name)` `(?P>name)`, backtracking verbs `(*FAIL)`: all refused ("NOT SUPPORTED").
* Group syntax is `(re)`, `(?:re)`, `(?P<name>re)`, `(?<name>re)` (accepted by RE2 since 2023),
  `(?flags)` and `(?flags:re)`; the flags are `i m s U`, spelled `xy`, `-z` or `xy-z`. `(?flags)`
  sets the flags "until outer paren closes" (so across a later `|` too); it is written as scoped
  `(?flags:...)` groups closed before each `|` and at the end of the enclosing group, so that its
  reach does not hang on how a `regex` version reads a flag group after the start (Python's `re`
  refuses one, `regex` documents version 0 as applying it to the whole pattern). `U` (ungreedy)
  has no Python counterpart: refused.
* No back-references `\\1`..`\\9` ("NOT SUPPORTED"); `\\1`..`\\7` followed by an octal digit is an
  octal character code (up to three digits), as is `\\0`.
* Escapes are `\\a \\f \\t \\n \\r \\v`, octal, `\\x7F`, `\\x{10FFFF}`, `\\Q...\\E`, `\\A \\b \\B \\z`,
  `\\d \\D \\s \\S \\w \\W`, `\\pN \\p{Name} \\PN \\P{Name}` (`\\p{^Name}` negated) and `\\` before
  ASCII punctuation; every other escape is refused: `\\Z \\G \\K \\R \\X \\N{name} \\e \\cK \\g \\k
  \\h \\u \\U \\l \\L` and the rest ("NOT SUPPORTED"). `\\C` (one byte of UTF-8) has no meaning on
  text: refused.
* `$` without the `m` flag matches only at the end of the text (Python's `$` also before a final
  newline): it becomes `\\Z`. `\\z` is the end of the text: Python's `\\Z`. With `m`, `$` and `^`
  are the end and start of every line, as in Python.
* `\\Q...\\E` quotes everything in between (to the end of the pattern without `\\E`); only outside
  a character class.
* `\\w \\d \\b` are ASCII (`[0-9A-Za-z_]`, `[0-9]`); `\\s` is `[\\t\\n\\f\\r ]` (not the vertical
  tab, which Python's ASCII `\\s` has), so it is written out, as are `\\w \\d` in a class.
* `\\pN \\p{Name}` are Unicode classes: written in a `(?u:...)` group (with the class holding
  them), since `regex.ASCII` would confine them to ASCII.
* In a character class a leading `]` (after `[` or `[^`) is literal; `[:alpha:]` and the other
  POSIX names (and `[:^alpha:]`) are ASCII classes, written out as ranges; `\\b \\B \\A \\z \\Q`
  are refused there (RE2 has no backspace escape).
* A counted repetition `{n}`, `{n,}`, `{n,m}` over 1000, or nested counted repetitions whose
  product is over 1000, is refused. A `{` that does not start `{n}`, `{n,}` or `{n,m}` is a
  literal (Python reads `{,n}` as a repetition).
* Possessive quantifiers `*+ ++ ?+ {n}+` are refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

MAX_REPEAT = 1000

# RE2's ASCII character classes (doc/syntax.txt, "ASCII character classes"), as code point ranges.
POSIX_CLASSES: dict[str, tuple[tuple[int, int], ...]] = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),),
    "word": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x5F, 0x5F)),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}
_SPACE = ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20))  # RE2's \s: [\t\n\f\r ]
_SPACE_TEXT = "\\t\\n\\f\\r "
_DIGIT = POSIX_CLASSES["digit"]
_WORD = POSIX_CLASSES["word"]
_MAX_CODE = 0x10FFFF

_REFUSED_GROUPS = (
    ("(?=", "a lookahead (?= (RE2 has no lookaround)"),
    ("(?!", "a negative lookahead (?! (RE2 has no lookaround)"),
    ("(?<=", "a lookbehind (?<= (RE2 has no lookaround)"),
    ("(?<!", "a negative lookbehind (?<! (RE2 has no lookaround)"),
    ("(?>", "an atomic group (?> (RE2 has none)"),
    ("(?(", "a conditional group (?( (RE2 has none)"),
    ("(?|", "a branch reset group (?| (RE2 has none)"),
    ("(?#", "a comment group (?# (RE2 has none)"),
    ("(?P=", "a named backreference (?P= (RE2 has none)"),
    ("(?P>", "a recursive group call (?P> (RE2 has none)"),
    ("(?&", "a recursive group call (?& (RE2 has none)"),
    ("(?R", "a recursive pattern call (?R (RE2 has none)"),
)
_FLAGS = regex.compile(r"\(\?([a-zA-Z]*)(?:(-)([a-zA-Z]*))?([:)])")
_NAMED = regex.compile(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>")
_REPEAT = regex.compile(r"\{(\d+)(,(\d*))?\}")
_SIMPLE_ESCAPES = frozenset("aftnrv")
_OCTAL = frozenset("01234567")
_HEX = frozenset("0123456789abcdefABCDEF")
_CLASS_ESCAPES = frozenset("dDsSwWpP")


class NotRe2(ValueError):
    """Why a pattern is not translated: RE2 refuses it, or it has no faithful Python form."""


@dataclass(frozen=True)
class Translation:
    """An RE2 pattern as Python `regex` (version 0) text with RE2's meaning."""

    source: str
    text: str
    multiline: bool  # an `m` flag is turned on somewhere
    dotall: bool  # an `s` flag is turned on somewhere
    ascii_classes: bool  # \w \W \d \D \s \S \b or \B occurs: their RE2 meaning is ASCII


@lru_cache(maxsize=4096)
def translate(pattern: str) -> Translation:
    """The Python form of an RE2 pattern; NotRe2 when RE2 refuses it or it is not translated."""
    return _Translator(pattern).run()


def refusal(pattern: str) -> str | None:
    """Why RE2 refuses (or this module does not translate) a pattern; None when translated."""
    try:
        translate(pattern)
    except NotRe2 as exc:
        return str(exc)
    return None


def _code(value: int) -> str:
    if value < 0x100:
        return f"\\x{value:02x}"
    return f"\\u{value:04x}" if value < 0x10000 else f"\\U{value:08x}"


def _ranges(ranges: tuple[tuple[int, int], ...], negated: bool = False) -> str:
    """Class members (no brackets) for code point ranges, or for their complement."""
    if negated:
        flipped, start = [], 0
        for low, high in sorted(ranges):
            if low > start:
                flipped.append((start, low - 1))
            start = max(start, high + 1)
        if start <= _MAX_CODE:
            flipped.append((start, _MAX_CODE))
        ranges = tuple(flipped)
    return "".join(_code(low) if low == high else f"{_code(low)}-{_code(high)}" for low, high in ranges)


class _Frame:
    """One open group: the `m` flag in force, the late `(?flags)` opened in it (written as scoped
    groups), and the largest product of nested counted repetitions inside it."""

    __slots__ = ("multiline", "scoped", "product")

    def __init__(self, multiline: bool):
        self.multiline = multiline
        self.scoped: list[str] = []
        self.product = 1


class _Translator:
    def __init__(self, pattern: str):
        self.pattern = pattern
        self.out: list[str] = []
        self.index = 0
        self.frames = [_Frame(False)]
        self.multiline = self.dotall = self.ascii_classes = False
        self.last_product = 1  # the repetition product of the atom a quantifier would apply to
        self.unicode_class = False  # a \\p class in the character class being read

    def run(self) -> Translation:
        pattern, size = self.pattern, len(self.pattern)
        while self.index < size:
            char = pattern[self.index]
            if char == "\\":
                self.out.append(self._escape(in_class=False))
                self.last_product = 1
            elif char == "[":
                self._class()
                self.last_product = 1
            elif char == "(":
                self._open()
            elif char == ")":
                self._close()
            elif char == "|":
                frame = self.frames[-1]
                self.out.append(")" * len(frame.scoped) + "|" + "".join(frame.scoped))
                self.index += 1
            elif char in "*+?":
                self.out.append(char)
                self.index += 1
                self._after_quantifier()
            elif char == "{":
                self._brace()
            elif char == "$":
                self.out.append("$" if self.frames[-1].multiline else "\\Z")
                self.index += 1
                self.last_product = 1
            else:
                self.out.append(char)
                self.index += 1
                self.last_product = 1
        while len(self.frames) > 1:  # an unclosed group: Python refuses it as RE2 does
            self.out.append(")" * len(self.frames.pop().scoped))
        self.out.append(")" * len(self.frames[0].scoped))
        return Translation(self.pattern, "".join(self.out), self.multiline, self.dotall, self.ascii_classes)

    # --- quantifiers --------------------------------------------------------------------------

    def _after_quantifier(self) -> None:
        """A lazy `?` may follow a quantifier; a `+` makes it possessive, which RE2 refuses."""
        if self.pattern.startswith("?", self.index):
            self.out.append("?")
            self.index += 1
        if self.pattern.startswith("+", self.index):
            raise NotRe2("a possessive quantifier (RE2 has none)")

    def _brace(self) -> None:
        found = _REPEAT.match(self.pattern, self.index)
        if found is None:  # RE2: a literal brace (Python would read `{,n}` as a repetition)
            self.out.append("\\{")
            self.index += 1
            self.last_product = 1
            return
        low, high = int(found.group(1)), found.group(3)
        top = int(high) if high else low
        if low > MAX_REPEAT or top > MAX_REPEAT:
            raise NotRe2(f"a repetition count over {MAX_REPEAT} (RE2 refuses it)")
        product = self.last_product * max(top, 1)
        if product > MAX_REPEAT:
            raise NotRe2(f"nested repetition counts over {MAX_REPEAT} in all (RE2 refuses them)")
        frame = self.frames[-1]
        frame.product = max(frame.product, product)
        self.out.append(found.group(0))
        self.index = found.end()
        self._after_quantifier()

    # --- groups -------------------------------------------------------------------------------

    def _open(self) -> None:
        pattern, index = self.pattern, self.index
        parent = self.frames[-1]
        if pattern.startswith("(*", index):
            raise NotRe2("a (* verb in a regular expression (RE2 has none)")
        if not pattern.startswith("(?", index):
            self.out.append("(")
            self.index += 1
            self.frames.append(_Frame(parent.multiline))
            return
        for needle, reason in _REFUSED_GROUPS:
            if pattern.startswith(needle, index):
                raise NotRe2(reason)
        named = _NAMED.match(pattern, index)
        if named is not None:
            self.out.append(named.group(0))
            self.index = named.end()
            self.frames.append(_Frame(parent.multiline))
            return
        flags = _FLAGS.match(pattern, index)
        if flags is None:
            shown = pattern[index:index + 4]
            raise NotRe2(f"the group syntax {shown!r} (not RE2)")
        on, dash, off, end = flags.groups()
        if set(on + (off or "")) - set("imsU") or (dash and not off):
            raise NotRe2(f"the flag group {flags.group(0)} (not RE2)")
        if "U" in on + (off or ""):
            raise NotRe2("the ungreedy flag U (not evaluated: Python has no such flag)")
        self.multiline = self.multiline or "m" in on
        self.dotall = self.dotall or "s" in on
        multiline = (parent.multiline or "m" in on) and "m" not in (off or "")
        self.index = flags.end()
        if end == ":":
            self.out.append(flags.group(0))
            self.frames.append(_Frame(multiline))
            return
        # `(?flags)`: in force until the enclosing group closes (across `|` too)
        parent.multiline = multiline
        if on or off:
            opened = f"(?{on}{'-' + off if off else ''}:"
            parent.scoped.append(opened)
            self.out.append(opened)

    def _close(self) -> None:
        self.index += 1
        if len(self.frames) == 1:  # an unmatched `)`: Python refuses it as RE2 does
            self.out.append(")" * len(self.frames[0].scoped) + ")")
            self.frames[0].scoped.clear()
            self.last_product = 1
            return
        frame = self.frames.pop()
        self.out.append(")" * len(frame.scoped) + ")")
        self.last_product = frame.product
        parent = self.frames[-1]
        parent.product = max(parent.product, frame.product)

    # --- escapes ------------------------------------------------------------------------------

    def _escape(self, in_class: bool) -> str:
        """The Python form of the escape at the index (moved past it)."""
        pattern, index = self.pattern, self.index
        char = pattern[index + 1:index + 2]
        self.index += 2
        if not char:
            raise NotRe2("a trailing backslash (RE2 refuses it)")
        if char.isascii() and not char.isalnum():
            return "\\" + char  # `\*`: literal punctuation
        if char in _SIMPLE_ESCAPES:
            return "\\" + char
        if char in _OCTAL:
            digits = char
            while len(digits) < 3 and pattern[self.index:self.index + 1] in _OCTAL and self.index < len(pattern):
                digits += pattern[self.index]
                self.index += 1
            if char != "0" and len(digits) == 1:
                raise NotRe2(f"a backreference \\{char} (RE2 has none)")
            return _code(int(digits, 8))
        if char in "89":
            raise NotRe2(f"a backreference \\{char} (RE2 has none)")
        if char == "x":
            return self._hex()
        if char in "dDwW":
            self.ascii_classes = True
            if in_class:  # written out: a class holding a Unicode class is compiled Unicode
                return _ranges(_DIGIT if char in "dD" else _WORD, negated=char in "DW")
            return "\\" + char
        if char in "sS":
            self.ascii_classes = True
            if char == "s":
                return _SPACE_TEXT if in_class else f"[{_SPACE_TEXT}]"
            return _ranges(_SPACE, negated=True) if in_class else f"[^{_SPACE_TEXT}]"
        if char in "pP":
            self.unicode_class = True
            found = self._unicode_class(char)
            return found if in_class else f"(?u:{found})"
        if char == "C":
            raise NotRe2("\\C (one byte of UTF-8) in a regular expression (not evaluated on text)")
        if in_class:
            if char == "Q":
                raise NotRe2("\\Q in a character class (RE2 refuses it)")
            raise NotRe2(f"the escape \\{char} in a character class (RE2 has none)")
        if char in "bB":
            self.ascii_classes = True
            return "\\" + char
        if char == "A":
            return "\\A"
        if char == "z":
            return "\\Z"
        if char == "Q":
            end = pattern.find("\\E", self.index)
            body = pattern[self.index:] if end < 0 else pattern[self.index:end]
            self.index = len(pattern) if end < 0 else end + 2
            return regex.escape(body)
        raise NotRe2(f"the escape \\{char} (RE2 has none)")

    def _hex(self) -> str:
        pattern, index = self.pattern, self.index
        if pattern.startswith("{", index):
            end = pattern.find("}", index)
            digits = pattern[index + 1:end] if end > 0 else ""
            if not digits or set(digits) - _HEX or int(digits, 16) > _MAX_CODE:
                raise NotRe2("a malformed \\x{...} escape (RE2 refuses it)")
            self.index = end + 1
            return _code(int(digits, 16))
        digits = pattern[index:index + 2]
        if len(digits) != 2 or set(digits) - _HEX:
            raise NotRe2("a \\x escape without two hex digits (RE2 refuses it)")
        self.index += 2
        return "\\x" + digits

    def _unicode_class(self, char: str) -> str:
        pattern, index = self.pattern, self.index
        if not pattern.startswith("{", index):
            name = pattern[index:index + 1]
            if not name.isascii() or not name.isalpha():
                raise NotRe2(f"a malformed \\{char} class (RE2 refuses it)")
            self.index += 1
            return f"\\{char}{name}"
        end = pattern.find("}", index)
        if end < 0:
            raise NotRe2(f"a malformed \\{char}{{...}} class (RE2 refuses it)")
        name = pattern[index + 1:end]
        self.index = end + 1
        if name.startswith("^"):  # `\p{^Greek}` is `\P{Greek}`
            char, name = ("P" if char == "p" else "p"), name[1:]
        return f"\\{char}{{{name}}}"

    # --- character classes ----------------------------------------------------------------------

    def _class(self) -> None:
        pattern, size = self.pattern, len(self.pattern)
        self.index += 1
        self.unicode_class = False
        out = ["["]
        if pattern.startswith("^", self.index):
            out.append("^")
            self.index += 1
        if pattern.startswith("]", self.index):  # a leading ] is literal
            out.append("\\]")
            self.index += 1
        first = len(out)  # where the members start
        after_set = False  # the last member is a class (\\d, [:alpha:], ...): no range may end there
        while self.index < size:
            char = pattern[self.index]
            if char == "]":
                out.append("]")
                self.index += 1
                break
            is_set = (char == "\\" and pattern[self.index + 1:self.index + 2] in _CLASS_ESCAPES
                      or pattern.startswith("[:", self.index) and pattern.find(":]", self.index + 2) > 0)
            if is_set and out[-1] == "-" and len(out) > first + 1 or char == "-" and after_set \
                    and not pattern.startswith("]", self.index + 1):
                raise NotRe2("a character class range with a class at one end (RE2 refuses it)")
            if char == "\\":
                out.append(self._escape(in_class=True))
            elif is_set:
                end = pattern.find(":]", self.index + 2)
                name = pattern[self.index + 2:end]
                negated = name.startswith("^")
                ranges = POSIX_CLASSES.get(name[1:] if negated else name)
                if ranges is None:
                    raise NotRe2(f"the character class [:{name}:] (RE2 has none)")
                out.append(_ranges(ranges, negated))
                self.index = end + 2
            elif char == "[":
                out.append("\\[")
                self.index += 1
            else:
                out.append(char)
                self.index += 1
            after_set = is_set
        text = "".join(out)
        self.out.append(f"(?u:{text})" if self.unicode_class else text)
