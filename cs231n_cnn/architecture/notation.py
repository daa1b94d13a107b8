"""The course's layer-pattern notation: tokenizer and recursive-descent parser.

Grammar (case-insensitive; whitespace separates tokens and is otherwise ignored)::

    spec    := seq END
    seq     := item ( "->" item )*
    item    := atom ( "*" COUNT )?
    atom    := "[" seq "]" | layer
    layer   := HEAD OPTION*

``HEAD`` is one of ``INPUT[HxWxD]``, ``CONV{F}-{K}``, ``LOCAL{F}-{K}``,
``RELU``, ``NORM``, ``BN``, ``DROPOUT{p}``, ``POOL{F}`` (also ``MAXPOOL``),
``AVGPOOL{F}``, ``L2POOL{F}``, ``FC-{N}`` or ``FC`` (the pool modes and the
keywords without numbers are :mod:`.vocabulary`'s tables); ``OPTION`` is ``S{s}``
(stride: CONV, LOCAL, pools) or ``P{p}`` (padding: CONV, LOCAL). ``COUNT`` is
a non-negative integer: ``*0`` removes the block, which is what the course's
"``M >= 0``" in ``[[CONV -> RELU]*N -> POOL?]*M`` allows. A bracket without a
count groups without repeating. ``→`` is accepted for ``->``.

Defaults follow the notes: CONV/LOCAL stride 1 and "same" padding
``P = (F - 1)/2`` (so an even F needs an explicit ``P``); pools stride ``S = F``;
bare ``POOL`` is ``POOL2``; bare ``DROPOUT`` keeps with ``p = 0.5``; a bare
final ``FC`` has one output per class. The course's abstract patterns
(``CONV``, ``POOL?``, ``*N``) are not concrete specs: each gets an error that
says what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .specs import (
    MAX_LAYERS,
    Architecture,
    BatchNormSpec,
    ConvSpec,
    DropoutSpec,
    FCSpec,
    InputSpec,
    LayerSpec,
    LocalSpec,
    NormSpec,
    PoolSpec,
    ReluSpec,
    SpecError,
    resolve,
)
from .vocabulary import BARE_POOL_MODE, POOL_MODES, SIMPLE_LAYERS, pool_keyword

__all__ = ["parse", "tokenize", "Token", "known_layers"]



def known_layers() -> tuple[str, ...]:
    """Every layer head the parser accepts, as error messages list them (built from the vocabulary)."""
    pools = tuple(f"{pool_keyword(mode)}POOL{{F}}" for mode in POOL_MODES)
    return ("INPUT[HxWxD]", "CONV{F}-{K}", "LOCAL{F}-{K}", *SIMPLE_LAYERS, "DROPOUT{p}", *pools, "FC-{N}", "FC")


def __getattr__(name: str):
    # KNOWN_LAYERS is computed on each access, so it lists a pool mode registered after import.
    if name == "KNOWN_LAYERS":
        return known_layers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Token:
    """A token of a spec: ``kind`` is one of arrow, lbrack, rbrack, star, input, word, end."""

    kind: str
    text: str
    index: int   # 1-based position among the spec's tokens
    column: int  # 1-based character column

    def describe(self) -> str:
        text = "end of spec" if self.kind == "end" else repr(self.text)
        return f"{text} (token {self.index}, column {self.column})"


_TOKEN_RE = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<arrow>->|→)
    | (?P<input>INPUT\s*\[[^\[\]]*\])
    | (?P<lbrack>\[)
    | (?P<rbrack>\])
    | (?P<star>\*)
    | (?P<word>(?:[A-Za-z0-9_.?]|-(?!>))+)
    """,
    re.VERBOSE | re.IGNORECASE,
)


def tokenize(spec: str) -> list[Token]:
    """Split ``spec`` into tokens, ending with an ``end`` token.

    Raises
    ------
    SpecError
        On a character that cannot start a token, or an unclosed ``INPUT[``.
    """
    if not isinstance(spec, str):
        raise TypeError(f"an architecture spec must be a string, got {type(spec).__name__}")
    tokens: list[Token] = []
    pos = 0
    while pos < len(spec):
        m = _TOKEN_RE.match(spec, pos)
        column = pos + 1
        if m is None:
            raise SpecError(
                f"unexpected character {spec[pos]!r} at column {column}; expected a layer such as "
                f"CONV3-64, '->' between layers, or '[ ... ]*N' for a repeated block",
                token=len(tokens) + 1, column=column,
            )
        kind = m.lastgroup
        if kind == "word" and m.group().upper() == "INPUT" and re.match(r"INPUT\s*\[", spec[pos:], re.I):
            raise SpecError(
                f"INPUT[ at column {column} is not closed; expected INPUT[HxWxD] such as INPUT[32x32x3]",
                token=len(tokens) + 1, column=column,
            )
        if kind != "space":
            tokens.append(Token(kind, m.group(), len(tokens) + 1, column))
        pos = m.end()
    tokens.append(Token("end", "", len(tokens) + 1, len(spec) + 1))
    return tokens


def _error(tok: Token, problem: str) -> SpecError:
    return SpecError(f"{tok.describe()}: {problem}", token=tok.index, column=tok.column)


@dataclass(frozen=True)
class _Repeat:
    body: list  # of LayerSpec | _Repeat
    count: int


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def next(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != "end":
            self.pos += 1
        return tok

    def spec(self) -> list:
        if self.peek().kind == "end":
            raise _error(self.peek(), "the spec is empty; expected layers such as "
                                      "'INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC'")
        items = self.seq()
        tok = self.peek()
        if tok.kind == "rbrack":
            raise _error(tok, "this ']' closes no '['; expected '->' or the end of the spec")
        if tok.kind != "end":
            raise _error(tok, "expected '->' between layers or the end of the spec")
        return items

    def seq(self) -> list:
        items = [self.item()]
        while self.peek().kind == "arrow":
            self.next()
            items.append(self.item())
        return items

    def item(self):
        atom = self.atom()
        if self.peek().kind != "star":
            return atom
        star = self.next()
        count = self.next()
        if count.kind != "word" or not count.text.isdigit():
            hint = ""
            if count.kind == "word" and count.text.isalpha():
                hint = "; the course's N, M, K stand for numbers you choose, e.g. [CONV3-32 -> RELU]*2"
            raise _error(count if count.kind != "end" else star,
                         f"expected a repeat count (a non-negative integer) after '*'{hint}")
        body = atom if isinstance(atom, list) else [atom]
        return _Repeat(body, int(count.text))

    def atom(self):
        tok = self.next()
        if tok.kind == "lbrack":
            body = self.seq()
            close = self.peek()
            if close.kind != "rbrack":
                raise _error(close, f"expected ']' to close the '[' at column {tok.column}"
                                    + ("" if close.kind == "end" else " (or '->' before the next layer)"))
            self.next()
            return body
        if tok.kind in ("word", "input"):
            options = []
            while self.peek().kind == "word":
                options.append(self.next())
            return _make_layer(tok, options)
        expected = "expected a layer such as CONV3-64 or a '[' block"
        if tok.kind == "end":
            raise _error(tok, f"the spec ends where a layer should be; {expected}")
        if tok.kind == "arrow":
            raise _error(tok, f"'->' with no layer before it; {expected}")
        if tok.kind == "rbrack":
            raise _error(tok, f"']' where a layer should be (empty block or trailing '->'?); {expected}")
        raise _error(tok, f"'*' needs a layer or a '[ ... ]' block before it; {expected}")


# --- layer heads -------------------------------------------------------------

_INPUT = re.compile(r"INPUT\s*\[\s*(\d+)\s*[xX×*]\s*(\d+)\s*[xX×*]\s*(\d+)\s*\]", re.I)
_CONV = re.compile(r"(CONV|LOCAL)(\d+)-(\d+)")
_CONV_LOOSE = re.compile(r"(CONV|LOCAL)\d*(-\d*)?")
_SIMPLE_SPECS = {spec.kind: spec for spec in (ReluSpec, NormSpec, BatchNormSpec)}
_FC = re.compile(r"FC(?:-(\d+))?")
_DROPOUT = re.compile(r"DROPOUT-?(\d*\.?\d+)?")
_OPTION = re.compile(r"([SP])(\d+)")


def _pool_head(text: str):
    """``(mode, size or None)`` if ``text`` is a pool head of a registered mode (``AVGPOOL3``), else None."""
    keywords = {mode.keyword: name for name, mode in POOL_MODES.items()}
    alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    m = re.fullmatch(rf"({alternatives})?POOL(\d+)?", text)
    if m is None:
        return None
    return (BARE_POOL_MODE if m.group(1) is None else keywords[m.group(1)]), m.group(2)


def _positive(tok: Token, value: int, what: str) -> int:
    if value < 1:
        raise _error(tok, f"{what} must be a positive integer, got {value}")
    return value


def _take_options(options: list[Token], allowed: str, layer_text: str) -> dict:
    """Parse a layer's S/P option tokens into ``{'S': s, 'P': p}``; ``allowed`` is a subset of 'SP'."""
    found: dict[str, int] = {}
    for opt in options:
        m = _OPTION.fullmatch(opt.text.upper())
        if m is None or m.group(1) not in allowed:
            if allowed:
                names = " or ".join({"S": "S{stride}", "P": "P{pad}"}[c] for c in allowed)
                what = f"{layer_text} takes the options {names}"
            else:
                what = f"{layer_text} takes no options"
            raise _error(opt, f"{what}; if this is the next layer, put '->' before it")
        if m.group(1) in found:
            raise _error(opt, f"{layer_text} is given {m.group(1)} twice")
        value = int(m.group(2))
        if m.group(1) == "S":
            _positive(opt, value, "the stride S")
        found[m.group(1)] = value
    return found


# One builder per layer head, tried in order by _make_layer: each returns the (unresolved) LayerSpec of
# ``head`` when its text is that layer, None when it is not, and raises for a near miss (e.g. FC100).

def _input_layer(head, text, options, where):
    if head.kind == "input":
        m = _INPUT.fullmatch(head.text)
        if m is None:
            raise _error(head, "expected INPUT[HxWxD] with three positive integers, e.g. INPUT[32x32x3]")
        h, w, d = (int(g) for g in m.groups())
        for value, name in ((h, "height H"), (w, "width W"), (d, "depth D")):
            _positive(head, value, f"the input {name}")
        _take_options(options, "", "INPUT")
        return InputSpec(height=h, width=w, depth=d, **where)
    if text == "INPUT":
        raise _error(head, "INPUT needs its volume size, e.g. INPUT[32x32x3] (height x width x depth)")
    return None


def _conv_layer(head, text, options, where):
    m = _CONV.fullmatch(text)
    if m:
        kind, f, k = m.group(1), int(m.group(2)), int(m.group(3))
        _positive(head, f, "the filter size F")
        _positive(head, k, "the number of filters K")
        opts = _take_options(options, "SP", f"{kind}{f}-{k}")
        if "P" in opts:
            pad = opts["P"]
        elif f % 2 == 0:
            raise _error(head, f"F={f} is even, so the default 'same' padding P=(F-1)/2 = {(f - 1) / 2:g} "
                               f"is not an integer; give the padding, e.g. '{kind}{f}-{k} P{f // 2 - 1}' "
                               f"or '{kind}{f}-{k} P0'")
        else:
            pad = (f - 1) // 2
        cls = ConvSpec if kind == "CONV" else LocalSpec
        return cls(filter_size=f, num_filters=k, stride=opts.get("S", 1), pad=pad, **where)
    if _CONV_LOOSE.fullmatch(text):
        kind = _CONV_LOOSE.fullmatch(text).group(1)
        raise _error(head, f"{kind} needs a filter size F and a number of filters K: "
                           f"{kind}{{F}}-{{K}}, e.g. {kind}3-64 (3x3 filters, 64 of them)")
    return None


def _pool_layer(head, text, options, where):
    pool = _pool_head(text)
    if not pool:
        return None
    mode, size = pool
    size = _positive(head, int(size), "the pool size F") if size else 2
    opts = _take_options(options, "S", text)
    return PoolSpec(mode=mode, pool_size=size, stride=opts.get("S", size), **where)


def _fc_layer(head, text, options, where):
    m = _FC.fullmatch(text)
    if m:
        _take_options(options, "", text)
        n = None if m.group(1) is None else _positive(head, int(m.group(1)), "the number of outputs N")
        return FCSpec(num_outputs=n, **where)
    if re.fullmatch(r"FC\d+", text):
        raise _error(head, f"write the number of outputs after a dash: FC-{text[2:]}")
    return None


def _dropout_layer(head, text, options, where):
    m = _DROPOUT.fullmatch(text)
    if not m:
        return None
    _take_options(options, "", "DROPOUT")
    p = 0.5 if m.group(1) is None else float(m.group(1))
    if not 0.0 < p <= 1.0:
        raise _error(head, f"DROPOUT{{p}} takes the probability of keeping an activation, "
                           f"0 < p <= 1, got p={p:g}")
    return DropoutSpec(p=p, **where)


def _simple_layer(head, text, options, where):
    if text not in SIMPLE_LAYERS:
        return None
    _take_options(options, "", text)
    return _SIMPLE_SPECS[SIMPLE_LAYERS[text]](**where)


_BUILDERS = (_input_layer, _conv_layer, _pool_layer, _fc_layer, _dropout_layer, _simple_layer)


def _make_layer(head: Token, options: list[Token]) -> LayerSpec:
    """Build the (unresolved) LayerSpec for ``head`` with its option tokens."""
    text = head.text.upper()
    source = " ".join([head.text] + [o.text for o in options])
    where = dict(source=source, token=head.index, column=head.column)

    if "?" in text:
        raise _error(head, "'?' marks an optional layer in the course's abstract patterns such as "
                           "INPUT -> [[CONV -> RELU]*N -> POOL?]*M; a concrete spec decides: write the "
                           "layer (e.g. POOL2) or leave it out")
    for build in _BUILDERS:
        layer = build(head, text, options, where)
        if layer is not None:
            return layer

    if text in ("SOFTMAX", "SVM", "LOSS"):
        raise _error(head, "the loss is not a layer of the spec: end with FC (the class scores); "
                           "the model applies softmax or SVM loss to them")
    from .zoo import lookup  # local import: the zoo is data and must not import the parser

    hint = ""
    if lookup(head.text) is not None:
        hint = f"; {head.text!r} is a ready spec: use ZOO[{lookup(head.text)!r}] or `cs231n-cnn describe {head.text}`"
    raise _error(head, f"unknown layer; expected one of {', '.join(known_layers())}{hint}")


def _expand(items: list, out: list[LayerSpec]) -> list[LayerSpec]:
    for item in items:
        if isinstance(item, _Repeat):
            for _ in range(item.count):
                _expand(item.body, out)
        elif isinstance(item, list):
            _expand(item, out)
        else:
            out.append(item)
        if len(out) > MAX_LAYERS:
            raise SpecError(f"the spec expands to more than {MAX_LAYERS:,} layers; check the '*N' counts")
    return out


def parse(spec: str, num_classes: int = 10) -> Architecture:
    """Parse the course's notation into a shape-checked :class:`Architecture`.

    Parameters
    ----------
    spec : str
        Layers joined by ``->`` with ``[ ... ]*N`` repetition, e.g.
        ``"INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL2 -> FC"``.
        See the module docstring for every layer token and its defaults.
    num_classes : int
        Number of outputs of a bare final ``FC``.

    Returns
    -------
    Architecture
        One :class:`LayerSpec` per layer (repetitions expanded), each with its
        hyperparameters and its input and output volume ``(H, W, D)``.

    Raises
    ------
    SpecError
        A ``ValueError`` naming the offending token, its 1-based token index
        and column, and what was expected; for a layer that does not fit, the
        output-size formula with the numbers.

    Examples
    --------
    >>> arch = parse("INPUT[227x227x3] -> CONV11-96 S4 P0")
    >>> arch[1].output_shape, arch[1].weight_shape
    ((55, 55, 96), (96, 3, 11, 11))
    >>> parse("INPUT[10x10x1] -> CONV3-4 S2 P0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cs231n_cnn.architecture.specs.SpecError: layer 1 'CONV3-4 S2 P0'... (10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer ...
    """
    items = _Parser(tokenize(spec)).spec()
    return resolve(_expand(items, []), num_classes=num_classes, spec=spec)
