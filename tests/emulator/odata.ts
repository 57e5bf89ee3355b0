// A small OData v4 $filter parser: comparisons (eq ne gt ge lt le), and/or/not, brackets,
// and startswith/endswith/contains. Enough to hold adapters to the real syntax — a quote
// inside a string literal must be doubled (''), property names are case-sensitive, and an
// unknown property is an error — instead of matching whatever text they send.

export type ODataLiteral = string | number | boolean | null;

export type FilterNode =
  | { kind: "and" | "or"; left: FilterNode; right: FilterNode }
  | { kind: "not"; expr: FilterNode }
  | { kind: "cmp"; op: "eq" | "ne" | "gt" | "ge" | "lt" | "le"; field: string; value: ODataLiteral }
  | { kind: "call"; fn: "startswith" | "endswith" | "contains"; field: string; value: string };

export class ODataError extends Error {}

type Token =
  | { t: "str"; v: string }
  | { t: "num"; v: number }
  | { t: "id"; v: string }
  | { t: "("; v: "(" }
  | { t: ")"; v: ")" }
  | { t: ","; v: "," };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      out.push({ t: c, v: c } as Token);
      i++;
    } else if (c === "'") {
      let v = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new ODataError("Unterminated string literal.");
        const ch = src[i] ?? "";
        if (ch === "'") {
          // '' is an escaped quote; a single ' ends the literal.
          if (src[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += ch;
        i++;
      }
      out.push({ t: "str", v });
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new ODataError(`Syntax error at position ${i} in '${src}'.`);
      out.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_./]*/.exec(src.slice(i));
      if (!m) throw new ODataError(`Syntax error at position ${i} in '${src}'.`);
      out.push({ t: "id", v: m[0] });
      i += m[0].length;
    } else {
      throw new ODataError(`Syntax error: character '${c}' is not valid at position ${i} in '${src}'.`);
    }
  }
  return out;
}

const COMPARISONS = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
const FUNCTIONS = new Set(["startswith", "endswith", "contains"]);

export function parseFilter(src: string, fields: readonly string[]): FilterNode {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const next = (): Token => {
    const tok = tokens[pos++];
    if (!tok) throw new ODataError(`Syntax error: unexpected end of '${src}'.`);
    return tok;
  };
  const isWord = (tok: Token | undefined, word: string): boolean => tok?.t === "id" && tok.v === word;
  const field = (name: string): string => {
    if (!fields.includes(name)) throw new ODataError(`Could not find a property named '${name}' on type.`);
    return name;
  };
  const literal = (): ODataLiteral => {
    const tok = next();
    if (tok.t === "str" || tok.t === "num") return tok.v;
    if (tok.t === "id" && (tok.v === "true" || tok.v === "false")) return tok.v === "true";
    if (tok.t === "id" && tok.v === "null") return null;
    throw new ODataError(`Syntax error: expected a literal but found '${tok.v}' in '${src}'.`);
  };

  const primary = (): FilterNode => {
    const tok = next();
    if (tok.t === "(") {
      const inner = orExpr();
      if (next().t !== ")") throw new ODataError(`Syntax error: ')' expected in '${src}'.`);
      return inner;
    }
    if (tok.t !== "id") throw new ODataError(`Syntax error at '${tok.v}' in '${src}'.`);
    if (FUNCTIONS.has(tok.v) && peek()?.t === "(") {
      next();
      const f = next();
      if (f.t !== "id") throw new ODataError(`Syntax error: property expected in ${tok.v}().`);
      if (next().t !== ",") throw new ODataError(`Syntax error: ',' expected in ${tok.v}().`);
      const value = literal();
      if (next().t !== ")") throw new ODataError(`Syntax error: ')' expected in ${tok.v}().`);
      if (typeof value !== "string") throw new ODataError(`${tok.v}() takes a string literal.`);
      return { kind: "call", fn: tok.v as "startswith" | "endswith" | "contains", field: field(f.v), value };
    }
    const name = field(tok.v);
    const op = next();
    if (op.t !== "id" || !COMPARISONS.has(op.v)) {
      throw new ODataError(`Syntax error: comparison operator expected after '${name}' in '${src}'.`);
    }
    return { kind: "cmp", op: op.v as "eq", field: name, value: literal() };
  };
  const unary = (): FilterNode => {
    if (isWord(peek(), "not")) {
      next();
      return { kind: "not", expr: unary() };
    }
    return primary();
  };
  const andExpr = (): FilterNode => {
    let left = unary();
    while (isWord(peek(), "and")) {
      next();
      left = { kind: "and", left, right: unary() };
    }
    return left;
  };
  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (isWord(peek(), "or")) {
      next();
      left = { kind: "or", left, right: andExpr() };
    }
    return left;
  };

  const tree = orExpr();
  if (pos !== tokens.length) throw new ODataError(`Syntax error: unexpected '${tokens[pos]?.v}' in '${src}'.`);
  return tree;
}

export function evalFilter(
  node: FilterNode,
  get: (field: string) => unknown,
  opts: { caseInsensitive: boolean },
): boolean {
  const norm = (v: unknown): unknown => (typeof v === "string" && opts.caseInsensitive ? v.toLowerCase() : v);
  switch (node.kind) {
    case "and":
      return evalFilter(node.left, get, opts) && evalFilter(node.right, get, opts);
    case "or":
      return evalFilter(node.left, get, opts) || evalFilter(node.right, get, opts);
    case "not":
      return !evalFilter(node.expr, get, opts);
    case "call": {
      const raw = get(node.field);
      if (typeof raw !== "string") return false;
      const v = norm(raw) as string;
      const arg = norm(node.value) as string;
      if (node.fn === "startswith") return v.startsWith(arg);
      if (node.fn === "endswith") return v.endsWith(arg);
      return v.includes(arg);
    }
    case "cmp": {
      const actual = get(node.field);
      // A collection property (e.g. machineTags) matches when any element does.
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some((a) => compare(norm(a), norm(node.value), node.op));
    }
  }
}

function compare(a: unknown, b: unknown, op: "eq" | "ne" | "gt" | "ge" | "lt" | "le"): boolean {
  if (op === "eq") return a === b;
  if (op === "ne") return a !== b;
  if (typeof a !== typeof b || (typeof a !== "string" && typeof a !== "number")) return false;
  const x = a as string | number;
  const y = b as string | number;
  if (op === "gt") return x > y;
  if (op === "ge") return x >= y;
  if (op === "lt") return x < y;
  return x <= y;
}
