/** Python's int()/float()/str()/bool() as applied to widget values during validation (§7.3). */
import { numberOf, PyBigInt, PyFloat, pyRepr, pyStr } from './pyjson.ts';

export type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const typeName = (v: unknown): string => {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  return typeof v;
};

function toInt(v: unknown): Coerced {
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 };
  if (typeof v === 'number' || v instanceof PyBigInt) return { ok: true, value: v };
  if (v instanceof PyFloat) {
    if (Number.isNaN(v.value)) return { ok: false, message: 'cannot convert float NaN to integer' };
    if (!Number.isFinite(v.value)) return { ok: false, message: 'cannot convert float infinity to integer' };
    return { ok: true, value: Math.trunc(v.value) };
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[-+]?\d+(_\d+)*$/.test(t)) {
      const digits = t.replace(/_/g, '').replace(/^\+/, '');
      const n = Number(digits);
      return { ok: true, value: Number.isSafeInteger(n) ? n : new PyBigInt(BigInt(digits).toString()) };
    }
    return { ok: false, message: `invalid literal for int() with base 10: ${pyRepr(v)}` };
  }
  return { ok: false, message: `int() argument must be a string, a bytes-like object or a real number, not '${typeName(v)}'` };
}

function toFloat(v: unknown): Coerced {
  if (typeof v === 'boolean') return { ok: true, value: new PyFloat(v ? 1 : 0) };
  const n = numberOf(v);
  if (n !== undefined) return { ok: true, value: new PyFloat(n) };
  if (typeof v === 'string') {
    const t = v.trim().replace(/(?<=\d)_(?=\d)/g, '');
    if (/^[-+]?(inf|infinity)$/i.test(t)) return { ok: true, value: new PyFloat(t.startsWith('-') ? -Infinity : Infinity) };
    if (/^[-+]?nan$/i.test(t)) return { ok: true, value: new PyFloat(NaN) };
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return { ok: true, value: new PyFloat(Number(t)) };
    return { ok: false, message: `could not convert string to float: ${pyRepr(v)}` };
  }
  return { ok: false, message: `float() argument must be a string or a real number, not '${typeName(v)}'` };
}

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '') return false;
  const n = numberOf(v);
  if (n !== undefined) return n !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

export function coerce(type: unknown, v: unknown): Coerced {
  switch (type) {
    case 'INT': return toInt(v);
    case 'FLOAT': return toFloat(v);
    case 'STRING': return { ok: true, value: pyStr(v) };
    case 'BOOLEAN': return { ok: true, value: truthy(v) };
    default: return { ok: true, value: v };
  }
}
