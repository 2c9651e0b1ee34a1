/**
 * aiohttp's FileResponse: ETag `"<mtime_ns hex>-<size hex>"`, Last-Modified, Accept-Ranges,
 * conditional requests (304/412) and single byte ranges (206/416).
 */
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Reply } from './http.ts';

function etagOf(mtimeNs: bigint, size: number): string {
  return `"${mtimeNs.toString(16)}-${size.toString(16)}"`;
}

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return 'invalid';
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return 'invalid';
  let start: number;
  let end: number;
  if (a === '') {
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

export function fileReply(req: IncomingMessage, file: string, headers: Record<string, string>): Reply {
  const st = statSync(file, { bigint: true });
  const size = Number(st.size);
  const etag = etagOf(st.mtimeNs, size);
  const lastModified = new Date(Number(st.mtimeMs)).toUTCString();
  const base = { ...headers, ETag: etag, 'Last-Modified': lastModified, 'Accept-Ranges': 'bytes' };
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  const mtimeSec = Math.floor(Number(st.mtimeMs) / 1000);
  if ((inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) ||
      (!inm && ims && !Number.isNaN(Date.parse(ims)) && mtimeSec <= Date.parse(ims) / 1000)) {
    return { status: 304, headers: { ETag: etag, 'Last-Modified': lastModified }, body: '' };
  }
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  const rangeApplies = range !== undefined && (ifRange === undefined || ifRange === etag || ifRange === lastModified);
  const data = readFileSync(file);
  if (rangeApplies) {
    const r = parseRange(range, size);
    if (r === 'invalid') return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, body: '' };
    if (r) return { status: 206, headers: { ...base, 'Content-Range': `bytes ${r.start}-${r.end}/${size}` }, body: data.subarray(r.start, r.end + 1) };
  }
  return { status: 200, headers: base, body: data };
}
