// A JSON POST whose connection goes to an address checked beforehand: the host name is still
// used for the Host header and TLS (SNI, certificate), but DNS is not asked again, so a name
// that passed the SSRF guard cannot be re-pointed at a private address in between (rebinding).
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';

function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address) === 6 ? 6 : 4;
  return ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address, family }]);
    else cb(null, address, family);
  }) as unknown as LookupFunction;
}

/** Posts `body`; resolves with the status code (the response body is discarded). */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { address?: string; timeoutMs: number },
): Promise<number> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      timeout: opts.timeoutMs,
      ...(opts.address ? { lookup: pinnedLookup(opts.address) } : {}),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
