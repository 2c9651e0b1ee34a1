/**
 * Python-compatible JSON and repr output.
 *
 * aiohttp answers with `json.dumps(obj)`: separators `", "`/`": "`, non-ASCII escaped, and
 * floats that keep their `.0` (`5.0`, progress `1.0`). JS numbers lose the int/float
 * distinction, so values that Python holds as floats are wrapped in `PyFloat`.
 */

export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export const pyFloat = (value: number): PyFloat => new PyFloat(value);

/** An integer beyond 2^53 (e.g. KSampler's seed max 2^64-1), kept as its digits. */
export class PyBigInt {
  readonly text: string;
  readonly value: number;
  constructor(text: string) {
    this.text = text;
    this.value = Number(text);
  }
}

/**
 * Key order of a parsed JSON object. JS objects list integer-like keys ("3", "10") first and
 * ascending, Python dicts keep insertion order, and prompt node ids are integer-like.
 */
export const ORDER: unique symbol = Symbol('pyjson.order');
type Ordered = Record<string, unknown> & { [ORDER]?: string[] };

/** Keys of a parsed object in their original order. */
export function keysOf(obj: object): string[] {
  const order = (obj as Ordered)[ORDER];
  return order ? order.filter((k) => Object.hasOwn(obj, k)) : Object.keys(obj);
}

export function entriesOf(obj: object): [string, unknown][] {
  return keysOf(obj).map((k) => [k, (obj as Record<string, unknown>)[k]]);
}

/** Build an object whose serialisation keeps the given key order. */
export function ordered(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const obj: Ordered = {};
  const order: string[] = [];
  for (const [k, v] of entries) {
    if (!Object.hasOwn(obj, k)) order.push(k);
    obj[k] = v;
  }
  Object.defineProperty(obj, ORDER, { value: order, enumerable: false, writable: true });
  return obj;
}

/** Number of a value that may be a `PyFloat` or `PyBigInt`. */
export function numberOf(value: unknown): number | undefined {
  if (value instanceof PyFloat || value instanceof PyBigInt) return value.value;
  return typeof value === 'number' ? value : undefined;
}

export const isPyInt = (v: unknown): boolean => (typeof v === 'number' && Number.isInteger(v)) || v instanceof PyBigInt;

/** Python comparison a < b for ints and floats (exact for big ints). */
export function pyLess(a: unknown, b: unknown): boolean {
  const exact = (x: unknown): bigint | undefined => (x instanceof PyBigInt ? BigInt(x.text) : typeof x === 'number' && Number.isSafeInteger(x) ? BigInt(x) : undefined);
  const ea = exact(a);
  const eb = exact(b);
  if (ea !== undefined && eb !== undefined) return ea < eb;
  return (numberOf(a) ?? NaN) < (numberOf(b) ?? NaN);
}

/** Python `==` for JSON-like values (1 == 1.0 == True). */
export function pyEquals(a: unknown, b: unknown): boolean {
  const na = typeof a === 'boolean' ? Number(a) : numberOf(a);
  const nb = typeof b === 'boolean' ? Number(b) : numberOf(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  return false;
}

class JsonSyntaxError extends Error {}

/** `json.loads`: floats become PyFloat, huge ints PyBigInt, objects keep key order. */
export function pyLoads(text: string): unknown {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw new JsonSyntaxError(`Expecting value at ${i}`);
  };
  const parseString = (): string => {
    const start = i;
    i++;
    let raw = false;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') { i++; raw = true; }
      i++;
    }
    if (i >= text.length) fail();
    i++;
    const body = text.slice(start, i);
    return raw ? (JSON.parse(body) as string) : body.slice(1, -1);
  };
  const parseNumber = (): unknown => {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail();
    const lit = (m as RegExpExecArray)[0];
    i += lit.length;
    if (m?.[1] !== undefined || m?.[2] !== undefined) return new PyFloat(Number(lit));
    const n = Number(lit);
    return Number.isSafeInteger(n) ? n : new PyBigInt(lit.replace(/^-0$/, '0'));
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, unknown][] = [];
      ws();
      if (text[i] === '}') { i++; return ordered(entries); }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = parseString();
        ws();
        if (text[i] !== ':') fail();
        i++;
        entries.push([k, value()]);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return ordered(entries); }
        fail();
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail();
      }
    }
    if (c === '"') return parseString();
    for (const [lit, val] of [['true', true], ['false', false], ['null', null], ['NaN', new PyFloat(NaN)], ['Infinity', new PyFloat(Infinity)], ['-Infinity', new PyFloat(-Infinity)]] as const) {
      if (text.startsWith(lit, i)) { i += lit.length; return val; }
    }
    return parseNumber();
  };
  const result = value();
  ws();
  if (i !== text.length) throw new JsonSyntaxError(`Extra data at ${i}`);
  return result;
}

/** Python's `repr(float)`: shortest round-trip digits, exponent outside [1e-4, 1e16). */
export function floatRepr(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mant = '', exp = '0'] = v.toExponential().split('e');
    const e = Number(exp);
    const sign = e < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const s = String(v);
  return s.includes('.') ? s : `${s}.0`;
}

function intRepr(v: number): string {
  // A JS integer beyond 2^53 prints in exponent form; Python would print all digits.
  return Number.isSafeInteger(v) ? String(v) : BigInt(Math.trunc(v)).toString();
}

function numRepr(v: number): string {
  return Number.isInteger(v) ? intRepr(v) : floatRepr(v);
}

function quoteJson(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) {
      for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** `json.dumps(value)` with Python's default separators. */
export function pyDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof PyBigInt) return value.text;
  if (typeof value === 'number') return numRepr(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quoteJson(value);
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(', ')}]`;
  if (value instanceof Map) return pyDumps(ordered(value));
  if (typeof value === 'object') {
    const parts = entriesOf(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${quoteJson(k)}: ${pyDumps(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return 'null';
}

/** Python's `repr(str)`: single quotes unless the text holds a single quote and no double. */
export function pyStrRepr(s: string): string {
  const useDouble = s.includes("'") && !s.includes('"');
  const q = useDouble ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === q || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + q;
}

/** Python's `repr()` / `str()` of a JSON-like container (as used in log lines and details). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value instanceof PyFloat) return floatRepr(value.value).replace('Infinity', 'inf').replace('NaN', 'nan');
  if (value instanceof PyBigInt) return value.text;
  if (typeof value === 'number') return numRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value instanceof Map) return pyRepr(ordered(value));
  if (typeof value === 'object') {
    const parts = entriesOf(value).map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`);
    return `{${parts.join(', ')}}`;
  }
  return 'None';
}

/** Python's `str()` of a value: strings unquoted, everything else as repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Deep copy that keeps `PyFloat` markers (structuredClone would turn them into plain objects). */
export function cloneJson<T>(value: T): T {
  if (value instanceof PyFloat || value instanceof PyBigInt || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, cloneJson(v)])) as T;
  return ordered(entriesOf(value).map(([k, v]) => [k, cloneJson(v)])) as T;
}

/** Replace `PyFloat` markers by plain numbers (for callers that want ordinary JS data). */
export function plain(value: unknown): unknown {
  if (value instanceof PyFloat || value instanceof PyBigInt) return value.value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return plain(ordered(value));
  return Object.fromEntries(entriesOf(value).map(([k, v]) => [k, plain(v)]));
}
