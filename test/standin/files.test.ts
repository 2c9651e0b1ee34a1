/** SaveImage/PreviewImage naming, LoadImage paths, uploads, /view rules, body limits, origin check. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodePng, encodeRgbaPng, readTextChunks } from '../../src/standin/images.ts';
import { EMPTY, runPrompt, SAMPLE_PNG, startInProcess } from './helpers.ts';
import type { Running } from './helpers.ts';

type Images = { images: { filename: string; subfolder: string; type: string }[] };
const outputsOf = (entry: Record<string, unknown>, node = '3'): Images => (entry['outputs'] as Record<string, Images>)[node] as Images;

test('SaveImage: counter scan, subfolders, substitutions, metadata, escape error', async (t) => {
  const r = await startInProcess(t);
  writeFileSync(join(r.dirs.output, 'x_00007_.png'), 'old');
  writeFileSync(join(r.dirs.output, 'x_00003_.png'), 'old');
  writeFileSync(join(r.dirs.output, 'xy_00050_.png'), 'other prefix');
  const a = await runPrompt(r, { prompt: EMPTY('x'), client_id: 'c' });
  assert.deepEqual(outputsOf(a.entry).images, [{ filename: 'x_00008_.png', subfolder: '', type: 'output' }]);
  const b = await runPrompt(r, { prompt: EMPTY('run/a/../b/img_%width%x%height%', 1, 12, 10), client_id: 'c' });
  assert.deepEqual(outputsOf(b.entry).images, [{ filename: 'img_12x10_00001_.png', subfolder: 'run/b', type: 'output' }]);
  const png = readFileSync(join(r.dirs.output, 'run/b/img_12x10_00001_.png'));
  const decoded = decodePng(png);
  assert.deepEqual([decoded.width, decoded.height, decoded.data[0], decoded.data[1], decoded.data[2]], [12, 10, 0, 0, 1]);
  assert.deepEqual(readTextChunks(png).map(([k]) => k), ['prompt']);
  const c = await runPrompt(r, { prompt: EMPTY('../evil'), client_id: 'c' });
  const status = c.entry['status'] as { status_str: string; messages: [string, Record<string, unknown>][] };
  assert.equal(status.status_str, 'error');
  const err = status.messages.find(([k]) => k === 'execution_error')?.[1];
  assert.equal(err?.['exception_type'], 'Exception');
  assert.match(String(err?.['exception_message']), /^\*\*\*\* ERROR: Saving image outside the output folder is not allowed\.\n full_output_folder: /);
  assert.ok(!existsSync(join(r.dirs.root, 'evil_00001_.png')));
});

test('--disable-metadata writes no text chunks; extra_pnginfo becomes chunks otherwise', async (t) => {
  const plain = await startInProcess(t, ['--disable-metadata']);
  await runPrompt(plain, { prompt: EMPTY('m'), client_id: 'c', extra_data: { extra_pnginfo: { workflow: { id: 'w' } } } });
  assert.deepEqual(readTextChunks(readFileSync(join(plain.dirs.output, 'm_00001_.png'))), []);
  const meta = await startInProcess(t);
  await runPrompt(meta, { prompt: EMPTY('m'), client_id: 'c', extra_data: { extra_pnginfo: { workflow: { id: 'w' } } } });
  const chunks = readTextChunks(readFileSync(join(meta.dirs.output, 'm_00001_.png')));
  assert.deepEqual(chunks.map(([k]) => k), ['prompt', 'workflow']);
  assert.equal(chunks[1]?.[1], '{"id": "w"}');
});

test('PreviewImage writes ComfyUI_temp_<5 letters>; LoadImage reads subfolders and annotations', async (t) => {
  const r = await startInProcess(t);
  mkdirSync(join(r.dirs.input, 'sub'));
  writeFileSync(join(r.dirs.input, 'sub', 'in.png'), readFileSync(SAMPLE_PNG));
  writeFileSync(join(r.dirs.output, 'out.png'), readFileSync(SAMPLE_PNG));
  for (const image of ['sub/in.png', 'out.png [output]']) {
    const run = await runPrompt(r, { prompt: { 1: { class_type: 'LoadImage', inputs: { image } }, 3: { class_type: 'PreviewImage', inputs: { images: ['1', 0] } } }, client_id: 'c' });
    const [file] = outputsOf(run.entry).images;
    assert.match(file?.filename ?? '', /^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    assert.equal(file?.type, 'temp');
    const view = await r.get(`/view?filename=${file?.filename}&type=temp`);
    assert.equal(view.status, 200);
    assert.equal(decodePng(Buffer.from(await view.arrayBuffer())).width, 64);
  }
  const info = (await (await r.get('/object_info/LoadImage')).json()) as { LoadImage: { input: { required: { image: [string[]] } } } };
  assert.deepEqual(info.LoadImage.input.required.image[0], ['broken.png', 'capture_in.png'], 'top-level image files only, sorted');
});

async function upload(r: Running, fields: Record<string, string>, file?: { name: string; data: Buffer }, route = '/upload/image'): Promise<Response> {
  const form = new FormData();
  if (file) form.append('image', new Blob([file.data]), file.name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return fetch(`${r.url}${route}`, { method: 'POST', body: form });
}

test('uploads: dedup by content, (n) names, overwrite, subfolders, types, bad requests, masks', async (t) => {
  const r = await startInProcess(t);
  const png = readFileSync(SAMPLE_PNG);
  const other = Buffer.concat([png, Buffer.from('x')]);
  const name = async (res: Response): Promise<unknown> => res.json();
  assert.deepEqual(await name(await upload(r, {}, { name: 'a.png', data: png })), { name: 'a.png', subfolder: '', type: 'input' });
  assert.deepEqual(await name(await upload(r, {}, { name: 'a.png', data: png })), { name: 'a.png', subfolder: '', type: 'input' });
  assert.deepEqual(await name(await upload(r, {}, { name: 'a.png', data: other })), { name: 'a (1).png', subfolder: '', type: 'input' });
  assert.deepEqual(await name(await upload(r, {}, { name: 'a.png', data: other })), { name: 'a (1).png', subfolder: '', type: 'input' });
  assert.deepEqual(await name(await upload(r, { overwrite: 'true' }, { name: 'a.png', data: other })), { name: 'a.png', subfolder: '', type: 'input' });
  assert.deepEqual(readFileSync(join(r.dirs.input, 'a.png')), other);
  assert.deepEqual(await name(await upload(r, { subfolder: 'in/box', type: 'temp' }, { name: 'b.png', data: png })), { name: 'b.png', subfolder: 'in/box', type: 'temp' });
  assert.ok(existsSync(join(r.dirs.tempParent, 'temp', 'in/box', 'b.png')));
  assert.equal((await upload(r, { type: 'bogus' }, { name: 'c.png', data: png })).status, 500);
  assert.equal((await upload(r, {})).status, 400);
  assert.equal((await upload(r, { subfolder: '../..' }, { name: 'c.png', data: png })).status, 400);
  const rgba = Buffer.alloc(64 * 48 * 4, 0);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 77;
  const mask = await upload(r, { original_ref: JSON.stringify({ filename: 'capture_in.png', type: 'input' }) }, { name: 'masked.png', data: encodeRgbaPng(64, 48, rgba, 1) }, '/upload/mask');
  assert.deepEqual(await mask.json(), { name: 'masked.png', subfolder: '', type: 'input' });
  const merged = decodePng(readFileSync(join(r.dirs.input, 'masked.png')));
  const original = decodePng(png);
  assert.deepEqual([merged.data[0], merged.data[3]], [original.data[0], 77]);
  assert.deepEqual(readTextChunks(readFileSync(join(r.dirs.input, 'masked.png'))).map(([k]) => k), readTextChunks(png).map(([k]) => k));
});

test('/view: 404/400/403 rules, annotations, Range, conditional requests, forced downloads', async (t) => {
  const r = await startInProcess(t);
  writeFileSync(join(r.dirs.output, 'o.png'), readFileSync(SAMPLE_PNG));
  writeFileSync(join(r.dirs.output, 'page.html'), '<b>x</b>');
  const status = async (q: string): Promise<number> => (await r.get(`/view${q}`)).status;
  assert.equal(await status(''), 404);
  assert.equal(await status('?filename=missing.png'), 404);
  assert.equal(await status('?filename=../o.png'), 400);
  assert.equal(await status('?filename=/etc/passwd'), 400);
  assert.equal(await status('?filename=o.png&type=bogus'), 400);
  assert.equal(await status('?filename=o.png&subfolder=../../etc'), 403);
  assert.equal(await status('?filename=o.png&subfolder=/etc'), 403);
  assert.equal(await status('?filename=capture_in.png%20[input]&type=output'), 200);
  assert.equal(await status('?filename=o.png'), 200);
  const range = await r.get('/api/view?filename=o.png', { headers: { Range: 'bytes=0-7' } });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get('content-range'), 'bytes 0-7/505');
  assert.deepEqual(Buffer.from(await range.arrayBuffer()), readFileSync(SAMPLE_PNG).subarray(0, 8));
  assert.equal((await r.get('/view?filename=o.png', { headers: { Range: 'bytes=900-' } })).status, 416);
  const full = await r.get('/view?filename=o.png');
  const etag = full.headers.get('etag') ?? '';
  assert.equal((await r.get('/view?filename=o.png', { headers: { 'If-None-Match': etag } })).status, 304);
  assert.ok(full.headers.get('last-modified'));
  const html = await r.get('/view?filename=page.html');
  assert.equal(html.headers.get('content-type'), 'application/octet-stream');
  assert.equal(html.headers.get('content-disposition'), 'attachment; filename="page.html"');
  const rgb = await r.get('/view?filename=o.png&channel=rgb');
  assert.equal(decodePng(Buffer.from(await rgb.arrayBuffer())).hasAlpha, false);
});

test('--max-upload-size gives 413 text; origin mismatch gives 403 unless --enable-cors-header', async (t) => {
  const r = await startInProcess(t, ['--max-upload-size', '0.001']);
  const res = await r.post('/prompt', JSON.stringify({ prompt: {}, pad: 'x'.repeat(5000) }));
  assert.equal(res.status, 413);
  assert.match(await res.text(), /^Maximum request body size 1049 exceeded, actual body size \d+$/);
  assert.deepEqual((await (await r.get('/features')).json() as { max_upload_size: number }).max_upload_size, 1049);
  const bad = await r.get('/prompt', { headers: { Origin: 'http://evil.example' } });
  assert.equal(bad.status, 403);
  assert.equal((await r.get('/prompt', { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status, 403);
  const same = await fetch(`${r.url}/prompt`, { headers: { Origin: r.url } });
  assert.equal(same.status, 200);
  assert.ok(r.logs.some((l) => l.includes('WARNING: request with non matching host and origin 127.0.0.1 != evil.example, returning 403')));
  const cors = await startInProcess(t, ['--enable-cors-header']);
  const ok = await cors.get('/prompt', { headers: { Origin: 'http://evil.example' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), '*');
  assert.equal(ok.headers.get('access-control-allow-methods'), 'POST, GET, DELETE, PUT, OPTIONS, PATCH');
  assert.equal((await cors.get('/prompt', { method: 'OPTIONS' })).status, 200);
  assert.equal((await cors.get('/nope')).status, 404);
  assert.equal(await (await cors.get('/nope')).text(), '404: Not Found');
  assert.equal((await cors.get('/history/x', { method: 'DELETE' })).status, 405);
});
