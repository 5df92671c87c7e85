"""Lookalike audiences: boolean expressions over ACRA registry attributes, sized in SQL.

    ssic:62011 AND (ssic:62019 OR ssic2:63) AND NOT status:struck_off

A small recursive-descent parser (NOT binds tighter than AND, AND tighter than OR, parentheses
group) turns the text into a tree; ``to_sql`` compiles the tree into a parameterised WHERE clause
over ``registry.acra_entities e`` (values only ever travel as parameters). The terms and the age
bands are the ones dbt's icp_targeting_pack writes, so a card's audience_expression can be
pasted here as is; the intake's SSIC exclusions arrive there as ``AND NOT`` terms of any SSIC
level (``ssic4`` for a 4-digit class). Headcount and integrations are not in ACRA, so no term
sizes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row


class ExpressionError(ValueError):
    """A malformed expression; ``position`` is the offset of the bad token."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def pointer(self, text: str, width: int = 120) -> str:
        """The expression with a caret under the bad token (a window of a long expression)."""
        start = 0 if len(text) <= width else max(0, min(self.position - width // 2, len(text) - width))
        shown = ("..." if start else "") + text[start : start + width] + ("..." if start + width < len(text) else "")
        column = self.position - start + (3 if start else 0)
        return f"{shown}\n{' ' * column}^ {self.message} (at position {self.position})"


@dataclass(frozen=True)
class Term:
    attribute: str
    value: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Not | And | Or

AGE_BANDS = ("0-2y", "3-9y", "10-19y", "20y+")
_YEARS = "(extract(year from current_date)::int - extract(year from e.registration_incorporation_date)::int)"
_AGE_BAND_SQL = (
    f"case when e.registration_incorporation_date is null then null when {_YEARS} < 3 then '0-2y'"
    f" when {_YEARS} < 10 then '3-9y' when {_YEARS} < 20 then '10-19y' else '20y+' end"
)
# attribute -> (value pattern, description, SQL with one %s placeholder)
ATTRIBUTES: dict[str, tuple[str, str, str]] = {
    "ssic": (r"[0-9]{5}", "a 5-digit SSIC code", "e.primary_ssic_code = %s"),
    "ssic4": (r"[0-9]{4}", "a 4-digit SSIC class", "left(e.primary_ssic_code, 4) = %s"),
    "ssic3": (r"[0-9]{3}", "a 3-digit SSIC group", "left(e.primary_ssic_code, 3) = %s"),
    "ssic2": (r"[0-9]{2}", "a 2-digit SSIC division", "left(e.primary_ssic_code, 2) = %s"),
    "section": (
        r"[A-Ua-u]",
        "an SSIC section letter",
        "exists (select 1 from registry.ssic_codes s where s.code in (e.primary_ssic_code,"
        " left(e.primary_ssic_code, 2)) and s.section = upper(%s))",
    ),
    "status": (
        r"[a-z_]+",
        "a status such as live or struck_off",
        # A prefix test, not LIKE: the value's "_" must match "_" only, never any character.
        "starts_with(lower(regexp_replace(coalesce(e.current_status, ''), '[^A-Za-z]+', '_', 'g')), %s)",
    ),
    "postal_district": (r"[0-9]{2}", "a 2-digit postal district", "left(e.postal_code, 2) = %s"),
    "age_band": ("|".join(re.escape(b) for b in AGE_BANDS), "one of " + ", ".join(AGE_BANDS), f"{_AGE_BAND_SQL} = %s"),
}

# Caps on an expression: its length, how deep parentheses and NOTs nest, how many terms it has.
MAX_EXPRESSION_CHARS = 2000
MAX_DEPTH = 20
MAX_TERMS = 50
MAX_SAMPLE = 1000  # sample rows; a larger request is capped

_TOKEN = re.compile(r"\s*(?:(?P<paren>[()])|(?P<word>[^\s()]+))")
_KEYWORDS = {"AND", "OR", "NOT"}


def _tokens(text: str) -> list[tuple[str, int]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:  # only trailing whitespace left
            break
        token = match.group("paren") or match.group("word")
        out.append((token, match.start(match.lastgroup)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0
        self.terms = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def position(self) -> int:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else len(self.text)

    def parse(self) -> Node:
        if len(self.text) > MAX_EXPRESSION_CHARS:
            raise ExpressionError(
                f"expression of {len(self.text)} characters, at most {MAX_EXPRESSION_CHARS}", MAX_EXPRESSION_CHARS
            )
        if not self.tokens:
            raise ExpressionError("empty expression", 0)
        node = self.or_expr()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {_shown(self.peek())}, expected AND, OR or the end", self.position())
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.peek() == "OR":
            self.i += 1
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.not_expr()]
        while self.peek() == "AND":
            self.i += 1
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def nested(self) -> None:
        """Enter a '(' or NOT: past MAX_DEPTH the expression is refused (and recursion stops)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"{_shown(self.peek() or '')} nests more than {MAX_DEPTH} deep (parentheses and NOT)", self.position()
            )

    def not_expr(self) -> Node:
        if self.peek() == "NOT":
            self.nested()
            self.i += 1
            node = Not(self.not_expr())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token, at = self.peek(), self.position()
        if token is None:
            raise ExpressionError("expression ends early, expected a term or '('", at)
        if token == "(":
            self.nested()
            self.i += 1
            node = self.or_expr()
            if self.peek() != ")":
                raise ExpressionError("missing ')'", self.position())
            self.i += 1
            self.depth -= 1
            return node
        if token == ")" or token in _KEYWORDS:
            raise ExpressionError(f"unexpected {_shown(token)}, expected a term such as ssic:62011", at)
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise ExpressionError(f"{_shown(token)} is one term more than the {MAX_TERMS} allowed", at)
        self.i += 1
        return _term(token, at)


def _term(token: str, at: int) -> Term:
    attribute, sep, value = token.partition(":")
    if not sep:
        raise ExpressionError(f"{_shown(token)} is not attribute:value", at)
    if attribute not in ATTRIBUTES:
        raise ExpressionError(f"unknown attribute {_shown(attribute)} (known: {', '.join(ATTRIBUTES)})", at)
    pattern, description, _ = ATTRIBUTES[attribute]
    if not re.fullmatch(pattern, value):
        raise ExpressionError(f"{attribute} needs {description}, got {_shown(value)}", at + len(attribute) + 1)
    return Term(attribute, value)


def _shown(text: str, limit: int = 40) -> str:
    """A token as an error message quotes it: repr, shortened."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def parse(text: str) -> Node:
    """The expression's tree; raises ExpressionError pointing at the first bad token."""
    return _Parser(text).parse()


def to_sql(node: Node) -> tuple[str, list[str]]:
    """A WHERE clause over ``registry.acra_entities e`` and its parameters."""
    if isinstance(node, Term):
        return f"({ATTRIBUTES[node.attribute][2]})", [node.value]
    if isinstance(node, Not):
        sql, params = to_sql(node.operand)
        return f"(not coalesce({sql}, false))", params
    joiner = " and " if isinstance(node, And) else " or "
    parts = [to_sql(operand) for operand in node.operands]
    return "(" + joiner.join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]


@dataclass(frozen=True)
class Audience:
    total: int
    sample: list[dict]


def size_audience(conn: psycopg.Connection, tenant_id: str, text: str, sample_size: int = 10) -> Audience:
    """Registry entities matching the expression, minus the tenant's own matched customers/churned;
    the sample holds at most ``min(sample_size, MAX_SAMPLE)`` rows."""
    if sample_size < 0:
        raise ValueError(f"sample size must be 0 or more, got {sample_size}")
    sample_size = min(sample_size, MAX_SAMPLE)
    base, params = audience_from(tenant_id, text)
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(f"select count(*) as n {base}", params).fetchone()["n"]
        sample = cur.execute(
            "select e.uen, e.entity_name as name, e.primary_ssic_code as ssic, e.postal_code,"
            f" e.entity_status_description as status {base} order by e.uen limit %s",
            [*params, sample_size],
        ).fetchall()
    return Audience(total=total, sample=sample)


def audience_from(tenant_id: str, text: str) -> tuple[str, list[str]]:
    """``from ... where ...`` over ``registry.acra_entities e`` selecting the expression's audience,
    and its parameters: the matching entities minus the customers and churned accounts of the
    tenant's current intake that matched the registry (those dbt's icp_audience leaves out)."""
    where, params = to_sql(parse(text))
    return (
        f"from registry.acra_entities e where {where} and e.uen not in ("
        " select m.uen from icp.seed_matches m join icp.customer_seeds s on s.seed_id = m.seed_id"
        " where m.tenant_id = %s and m.status = 'matched' and m.uen is not null and s.response_id = ("
        " select max(response_id) from icp.icp_intake_responses where tenant_id = %s))",
        [*params, tenant_id, tenant_id],
    )
