// The CORS allowlist (CORS_ORIGINS) and the one rule both CORS and the websocket Origin check
// use: an origin is allowed when it is listed, when `*` is listed, or when it is the service's
// own origin (the demo page served by the app talks to it same-origin).
import { z } from 'zod';

export const OriginsSchema = z.string().default('').transform((text, ctx): string[] => {
  const out: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    if (raw === '*') { out.push('*'); continue; }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${raw} is not an origin like https://app.example.com` });
      continue;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== raw.replace(/\/$/, '')) {
      ctx.addIssue({ code: 'custom', message: `${raw} is not an origin (scheme://host[:port], no path)` });
      continue;
    }
    out.push(url.origin);
  }
  return out;
});

/** `host` is the request's Host header: a browser page served by this service is same-origin. */
export function originAllowed(allowed: readonly string[], origin: string, host: string | undefined): boolean {
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
