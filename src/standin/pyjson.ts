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

/** Number of a value that may be a `PyFloat`. */
export function numberOf(value: unknown): number | undefined {
  if (value instanceof PyFloat) return value.value;
  return typeof value === 'number' ? value : undefined;
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
  if (typeof value === 'number') return numRepr(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return quoteJson(value);
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
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
  if (typeof value === 'number') return numRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return pyStrRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyStrRepr(k)}: ${pyRepr(v)}`);
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
  if (value instanceof PyFloat || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = cloneJson(v);
  return out as T;
}

/** Replace `PyFloat` markers by plain numbers (for callers that want ordinary JS data). */
export function plain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plain(v)]));
}
