"""SQL that can only compute: the one way a strategy condition or a features `expr` reaches
polars.

polars' SQL front end runs table functions (`read_csv('/etc/passwd')`, `read_parquet(url)`)
inside subqueries while it parses, so a condition is a way to read files and reach the
network. `sql_expr` parses the text with sqlglot first and lets polars see it only when
every part is on a fixed allowlist: columns, literals, comparisons, arithmetic, AND/OR/NOT,
BETWEEN, LIKE/ILIKE, IS [NOT] NULL, IS [NOT] DISTINCT FROM, IN with a list of literals, CASE,
casts to plain types, and the row-level functions in `FUNCTIONS`. Anything else (a subquery,
a table function, a CTE, UNION, a name with a table, `*`, a placeholder, a comment, a
character outside ASCII between the literals) is a ConfigError naming the construct.

The text polars sees is the text checked here, so the lexical rules are strict where the
two parsers could read it differently: no comments, no special string forms (`E'..'`,
`$$..$$`), only `'strings'` and `"identifiers"`, ASCII outside them, and every word that
opens a bracket is a listed function or SQL syntax.

Size is bounded before any recursive work: the text's length, its tokens, how deeply
brackets, CASEs and prefix operators nest (sqlglot's parser recurses on each), and then the
depth of the parsed tree (walked without recursion) before polars builds and serialises it.
"""

from __future__ import annotations

import functools
import re

import polars as pl
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from riskctl.errors import ConfigError, Location

# row-level functions a condition or an `expr` may call, with an example of each (the
# docs list the names; a test runs every example through this module and polars)
# fmt: off
FUNCTIONS: dict[str, str] = {
    # numbers
    "ABS": "ABS(amount)", "CEIL": "CEIL(amount)", "CEILING": "CEILING(amount)",
    "FLOOR": "FLOOR(amount)", "ROUND": "ROUND(amount, 1)", "TRUNC": "TRUNC(amount)",
    "SIGN": "SIGN(amount)", "SQRT": "SQRT(amount)", "CBRT": "CBRT(amount)",
    "EXP": "EXP(amount / 1000)", "LN": "LN(amount)", "LOG2": "LOG2(amount)",
    "LOG10": "LOG10(amount)", "POWER": "POWER(amount, 2)", "POW": "POW(amount, 2)",
    "MOD": "MOD(n, 2)", "GREATEST": "GREATEST(amount, 10)", "LEAST": "LEAST(amount, 10)",
    # missing values
    "COALESCE": "COALESCE(amount, 0)", "IFNULL": "IFNULL(amount, 0)", "NULLIF": "NULLIF(n, 3)",
    # text
    "LOWER": "LOWER(category)", "UPPER": "UPPER(category)", "INITCAP": "INITCAP(category)",
    "LENGTH": "LENGTH(category)", "CHAR_LENGTH": "CHAR_LENGTH(category)", "TRIM": "TRIM(category)",
    "LTRIM": "LTRIM(category)", "RTRIM": "RTRIM(category)", "SUBSTR": "SUBSTR(category, 1, 3)",
    "SUBSTRING": "SUBSTRING(category, 1, 3)", "LEFT": "LEFT(category, 3)",
    "RIGHT": "RIGHT(category, 3)", "STRPOS": "STRPOS(category, 'a')",
    "POSITION": "POSITION('a' IN category)", "STARTS_WITH": "STARTS_WITH(category, 'gift')",
    "ENDS_WITH": "ENDS_WITH(category, 'cards')", "CONCAT": "CONCAT(category, '_x')",
    "CONCAT_WS": "CONCAT_WS('-', category, 'x')", "REPLACE": "REPLACE(category, '_', ' ')",
    "SPLIT_PART": "SPLIT_PART(category, '_', 1)", "REGEXP_LIKE": "REGEXP_LIKE(category, '^gift')",
    # dates and times
    "EXTRACT": "EXTRACT(HOUR FROM event_time)", "DATE_PART": "DATE_PART('hour', event_time)",
    "DATE": "DATE(STRFTIME(event_time, '%Y-%m-%d'))", "STRFTIME": "STRFTIME(event_time, '%Y-%m')",
    # types
    "CAST": "CAST(n AS DOUBLE)", "TRY_CAST": "TRY_CAST(category AS INT)",
}
# fmt: on

MAX_CHARS = 200_000
MAX_TOKENS = 50_000
MAX_NESTING = 20  # brackets, CASEs and prefix operators around one token
MAX_DEPTH = 300  # levels of polars' (JSON) expression tree: about 150 ORs in a chain
# levels of the SQL tree: polars' tree has about two levels per SQL level, so a deeper SQL
# tree is refused before polars builds (and recursively serialises) it
MAX_SQL_DEPTH = 2 * MAX_DEPTH

DOCS = "docs/security.md lists what a condition or expr may use"
_DIALECT = Postgres()
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CODE = re.compile(r"^[A-Za-z0-9_.=<>!+\-*/%|&~^(),:]*$")
_WHITESPACE = frozenset(" \t\r\n")
# words that start or join queries: never part of a condition, whatever the parse says
_QUERY_WORDS = {
    "SELECT": "a subquery (SELECT)",
    "WITH": "a CTE (WITH)",
    "UNION": "UNION",
    "INTERSECT": "INTERSECT",
    "EXCEPT": "EXCEPT",
    "VALUES": "VALUES (a table)",
    "TABLE": "TABLE (a table)",
    "JOIN": "JOIN",
    "LATERAL": "LATERAL",
    "EXISTS": "EXISTS (a subquery)",
    "INTO": "INTO",
    "OVER": "a window (OVER)",
}
# words that may stand before an opening bracket without being a function
_SYNTAX = {"AND", "OR", "NOT", "IN", "WHEN", "THEN", "ELSE", "CASE", "BETWEEN", "LIKE"}
_SYNTAX |= {"ILIKE", "FROM", "FOR"}
# calls whose arguments may hold FROM (EXTRACT(HOUR FROM t), SUBSTRING(s FROM 1), TRIM)
_FROM_CALLS = {"EXTRACT", "SUBSTRING", "SUBSTR", "TRIM", "LTRIM", "RTRIM"}
_TYPE_BEFORE = {TokenType.ALIAS, TokenType.DCOLON}
_PREFIX = {TokenType.NOT, TokenType.DASH, TokenType.PLUS, TokenType.TILDE}

_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Not,
    exp.Neg, exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE,
    exp.NullSafeEQ, exp.NullSafeNEQ, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe,
    exp.Between, exp.Like, exp.ILike, exp.Is, exp.In, exp.Case, exp.If, exp.Cast,
    exp.TryCast, exp.DataType, exp.DataTypeParam,
)  # fmt: skip
_TYPES = (
    exp.DataType.NUMERIC_TYPES
    | exp.DataType.TEXT_TYPES
    | exp.DataType.TEMPORAL_TYPES
    | {exp.DataType.Type.BOOLEAN}
)
_WINDOW_FUNCTIONS = {"RowNumber", "Rank", "DenseRank", "Lag", "Lead", "NthValue", "FirstValue"}
_WINDOW_FUNCTIONS |= {"LastValue", "Ntile", "PercentRank", "CumeDist"}


def sql_expr(text: str, where: Location | None, what: str = "condition") -> pl.Expr:
    """`text` (a SQL condition or expression) as a polars expression, once it is known to
    only compute on a row's columns (see the module's text): the one way to polars' SQL.

    Raises ConfigError naming `where` and the refused construct; polars' own parse errors
    (pl.exceptions.PolarsError) pass through for the caller to word.
    """
    _check(text, where, what)
    expr = pl.sql_expr(text)
    depth = _json_depth(expr.meta.serialize(format="json"))
    if depth > MAX_DEPTH:
        raise _too_deep(what, depth, MAX_DEPTH, where)
    return expr


def _check(text: str, where: Location | None, what: str = "condition") -> None:
    """Refuse `text` unless it only computes on a row's columns (see the module's text)."""
    if len(text) > MAX_CHARS:
        raise ConfigError(
            f"{what} is {len(text):,} characters long, more than {MAX_CHARS:,}",
            where,
            hint="write a list of values as `col IN ('a', 'b', ...)`, or split the rule",
        )
    try:
        tokens = _DIALECT.tokenize(text)
    except SqlglotError as exc:
        raise _unparsable(text, where, what, exc) from None
    if len(tokens) > MAX_TOKENS:
        raise ConfigError(
            f"{what} has {len(tokens):,} words and symbols, more than {MAX_TOKENS:,}",
            where,
            hint="split the rule, or derive a column with `riskctl features`",
        )
    _check_tokens(text, tokens, where, what)
    try:
        parsed = _DIALECT.parser().parse_into(exp.Condition, tokens, text)
    except SqlglotError as exc:
        raise _unparsable(text, where, what, exc) from None
    except RecursionError:
        raise _too_nested(what, where) from None
    if len(parsed) != 1 or parsed[0] is None:
        raise _unparsable(text, where, what, None)
    _check_tree(parsed[0], where, what)


def _refuse(what: str, construct: str, where: Location | None) -> ConfigError:
    return ConfigError(
        f"{what} may not use {construct}: it may only compute on the row's columns "
        "(nothing is read, sent or run)",
        where,
        hint=DOCS,
    )


def _unparsable(text: str, where: Location | None, what: str, exc: Exception | None) -> ConfigError:
    reason = (
        str(exc).strip().splitlines()[0][:200] if exc is not None and str(exc).strip() else None
    )
    shown = text if len(text) <= 200 else text[:200] + "..."
    return ConfigError(f"{what} does not parse as SQL: {shown!r}", where, hint=reason)


def _too_deep(what: str, depth: int, limit: int, where: Location | None) -> ConfigError:
    return ConfigError(
        f"{what} is nested {depth} levels deep, more than {limit} (a long chain of OR, AND "
        "or arithmetic?)",
        where,
        hint="write a list of values as `col IN ('a', 'b', ...)`, or split the rule",
    )


def _too_nested(what: str, where: Location | None) -> ConfigError:
    return ConfigError(
        f"{what} nests brackets, CASEs or NOTs more than {MAX_NESTING} deep",
        where,
        hint="flatten it, or derive a column with `riskctl features`",
    )


def _check_tokens(text: str, tokens: list[Token], where: Location | None, what: str) -> None:
    """Lexical rules, then words and nesting, in one pass over the tokens."""
    end = 0
    heads: list[str] = []  # per open bracket: the word before it
    nesting = prefix = 0
    previous: Token | None = None
    prior: Token | None = None  # the token before `previous`
    for token in tokens:
        gap = text[end : token.start]
        if not set(gap) <= _WHITESPACE:
            raise _refuse(what, _stray(gap), where)
        raw = text[token.start : token.end + 1]
        end = token.end + 1
        kind = token.token_type
        if kind == TokenType.STRING:
            if not raw.startswith("'"):
                raise _refuse(what, f"a special string literal ({raw[:12]}...)", where)
        elif kind == TokenType.IDENTIFIER:
            if not raw.startswith('"'):
                raise _refuse(what, f"a quoted name {raw[:20]!r}", where)
        elif not raw.isascii():
            bad = next(c for c in raw if not c.isascii())
            raise _refuse(what, f"the character U+{ord(bad):04X} outside a quoted text", where)
        elif kind.name.endswith("STRING"):
            raise _refuse(what, f"a special string literal ({raw[:12]})", where)
        elif kind in (TokenType.PLACEHOLDER, TokenType.PARAMETER) or not _CODE.match(raw):
            raise _refuse(what, repr(raw[:20]), where)
        word = raw.upper() if _WORD.match(raw) else None
        if word in _QUERY_WORDS:
            raise _refuse(what, _QUERY_WORDS[word], where)
        if word == "FROM" and not _from_allowed(heads, previous):
            raise _refuse(what, "FROM (a table)", where)
        if kind == TokenType.L_PAREN:
            heads.append(_head(previous, prior, what, where))
            nesting += 1
        elif kind == TokenType.R_PAREN:
            heads = heads[:-1]
            nesting -= 1
        elif kind == TokenType.CASE:
            nesting += 1
        elif kind == TokenType.END:
            nesting -= 1
        prefix = prefix + 1 if kind in _PREFIX else 0
        if nesting + prefix > MAX_NESTING:
            raise _too_nested(what, where)
        prior, previous = previous, token
    if not set(text[end:]) <= _WHITESPACE:
        raise _refuse(what, _stray(text[end:]), where)


def _stray(gap: str) -> str:
    """What stands between two tokens besides plain whitespace."""
    if "--" in gap or "/*" in gap:
        return "a comment"
    ch = next(c for c in gap if c not in _WHITESPACE)
    return f"the character U+{ord(ch):04X}" if not ch.isascii() else f"the character {ch!r}"


def _from_allowed(heads: list[str], previous: Token | None) -> bool:
    after_distinct = previous is not None and previous.text.upper() == "DISTINCT"
    return after_distinct or bool(heads and heads[-1] in _FROM_CALLS)


def _head(previous: Token | None, prior: Token | None, what: str, where: Location | None) -> str:
    """The function an opening bracket calls ("" for plain brackets and a type's size, as in
    `AS DECIMAL(10, 2)`); refused unless listed."""
    if previous is None or (prior is not None and prior.token_type in _TYPE_BEFORE):
        return ""
    kind = previous.token_type
    if kind in (TokenType.STRING, TokenType.NUMBER, TokenType.R_PAREN):
        raise _refuse(what, f"a call of {previous.text!r}", where)
    quoted = kind == TokenType.IDENTIFIER
    if not quoted and not _WORD.match(previous.text):
        return ""  # an operator, a comma or a bracket
    name = previous.text.upper()
    if not quoted and name in _SYNTAX:
        return ""
    if name in FUNCTIONS and not quoted:
        return name
    if name in _other_rows():
        raise ConfigError(
            f"{what} must be row-level (no aggregates, windows or shifts): {previous.text} "
            "reads other rows",
            where,
            hint="for values over other rows derive a column with `riskctl features` "
            "(count, sum, mean, distinct with `per:`)",
        )
    raise _refuse(what, f"function {previous.text}", where)


def _check_tree(root: exp.Expr, where: Location | None, what: str) -> None:
    """Every node on the allowlist, and the tree at most MAX_SQL_DEPTH deep (no recursion)."""
    deepest = 0
    stack: list[tuple[exp.Expr, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        construct = _not_allowed(node)
        if construct:
            raise _refuse(what, construct, where)
        # polars nests a CASE's branches inside one another: each WHEN is a level
        step = len(node.args.get("ifs") or []) if isinstance(node, exp.Case) else 1
        stack.extend((child, depth + step) for child in node.iter_expressions())
    if deepest > MAX_SQL_DEPTH:
        raise _too_deep(what, deepest, MAX_SQL_DEPTH, where)


def _not_allowed(node: exp.Expr) -> str | None:
    """What `node` is when it is not on the allowlist, else None."""
    if isinstance(node, exp.Column):
        return None if not node.table else f"a table name ({node.sql()[:40]})"
    if isinstance(node, exp.In):
        if any(node.args.get(k) is not None for k in ("query", "unnest", "field")):
            return "IN with a subquery"
        if not all(_is_literal(v) for v in node.expressions):
            return "IN with something other than a list of literal values"
        return None
    if isinstance(node, exp.DataType):
        return None if node.this in _TYPES else f"the type {node.sql()[:40]}"
    if isinstance(node, exp.Var):
        return None if isinstance(node.parent, exp.Extract) else f"the word {node.name}"
    if isinstance(node, _NODES):
        return None
    if isinstance(node, exp.Anonymous):
        return None if node.name.upper() in FUNCTIONS else f"function {node.name}"
    if isinstance(node, exp.Func) and type(node) in _allowed_functions():
        return None
    return _describe(node)


def _is_literal(node: exp.Expr) -> bool:
    if isinstance(node, exp.Neg | exp.Paren | exp.Cast):
        return _is_literal(node.this)
    return isinstance(node, exp.Literal | exp.Null | exp.Boolean)


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Subquery | exp.Select | exp.Query):
        return "a subquery"
    if isinstance(node, exp.Table):
        return "a table"
    if isinstance(node, exp.Star):
        return "*"
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return "a placeholder"
    if isinstance(node, exp.AggFunc):
        return f"the aggregate {node.sql_name()}"
    if isinstance(node, exp.Func):
        return f"function {node.sql_name()}"
    return f"{type(node).__name__} ({node.key})"


@functools.cache
def _allowed_functions() -> frozenset[type[exp.Expr]]:
    """The sqlglot node types of the listed functions' examples."""
    found: set[type[exp.Expr]] = set()
    for example in FUNCTIONS.values():
        tree = _DIALECT.parse_into(exp.Condition, example)[0]
        assert tree is not None
        found.update(type(n) for n in tree.walk() if isinstance(n, exp.Func))
    return frozenset(found)


@functools.cache
def _other_rows() -> frozenset[str]:
    """Names of the aggregate and window functions sqlglot knows."""
    return frozenset(
        name
        for cls in exp.ALL_FUNCTIONS
        if issubclass(cls, exp.AggFunc) or cls.__name__ in _WINDOW_FUNCTIONS
        for name in cls.sql_names()
    )


def _json_depth(tree: str) -> int:
    """How deeply brackets nest in a JSON text, outside strings (no recursion)."""
    depth = deepest = 0
    quoted = escaped = False
    for ch in tree:
        if quoted:
            escaped, quoted = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            quoted = True
        elif ch in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "}]":
            depth -= 1
    return deepest
