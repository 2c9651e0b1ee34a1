/** Loads the real ComfyUI v0.27 recordings in shared/comfyui/captures (beside the repo in CI). */
import { readdirSync, readFileSync } from 'node:fs';

export const CAPTURES = new URL('../../../shared/comfyui/captures/', import.meta.url);
export const EXAMPLES = new URL('../../../shared/comfyui/examples/', import.meta.url);

export interface HttpCapture {
  request?: { method: string; path: string; json: unknown };
  status: number;
  content_type?: string;
  body: unknown;
}

export interface WsCapture {
  t: number;
  msg: unknown;
}

export function captureNames(prefix: string): string[] {
  return readdirSync(CAPTURES).filter((name) => name.startsWith(prefix) && name.endsWith('.json')).sort();
}

export function loadCapture<T = HttpCapture>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, CAPTURES), 'utf8')) as T;
}

export function loadExample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, EXAMPLES), 'utf8')) as Record<string, unknown>;
}
