// The demo page: pick or upload a template, fill the form derived from its parameter schemas,
// submit, and follow the job live over the websocket. Uses only the public API.
import { api, ApiError, auth, describeProblem, uploadFile } from './api.js';
import { el, renderForm } from './form.js';
import { watchJob } from './live.js';
import { pollServers } from './servers.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));

/** What the page is showing now; one job at a time. */
const state = {
  /** @type {{values: () => {params: Record<string, unknown>, errors: string[]}} | null} */ form: null,
  template: '',
  /** The service accepts image uploads (POST /uploads). */
  uploads: false,
  /** @type {{id: string, close: () => void, previewUrl: string, shownOutputs: Set<number>} | null} */ job: null,
};

function showLines(box, lines) {
  box.replaceChildren(...lines.map((l, i) => el(i === 0 ? 'p' : 'li', { text: l })));
}

// ---- templates ---------------------------------------------------------------------------

async function loadTemplates(select = '') {
  const { templates } = await api('/templates');
  const sel = $('template-select');
  sel.replaceChildren(
    el('option', { value: '', text: templates.length ? 'Choose a template…' : 'No templates yet: upload one' }),
    ...templates.map((t) => el('option', { value: t.name, text: `${t.name} (v${t.latestVersion})` })),
  );
  const pick = select || new URLSearchParams(location.search).get('template') || (templates.length === 1 ? templates[0].name : '');
  if (pick && templates.some((t) => t.name === pick)) {
    sel.value = pick;
    await showTemplate(pick);
  }
}

async function showTemplate(name) {
  state.template = name;
  $('form-error').replaceChildren();
  $('submit').disabled = true;
  if (!name) {
    $('fields').replaceChildren(el('p', { class: 'muted', text: 'Pick a template first.' }));
    $('template-description').textContent = '';
    return;
  }
  const t = await api(`/templates/${encodeURIComponent(name)}`);
  if (state.template !== name) return; // another pick arrived meanwhile
  $('template-description').textContent = t.description ?? '';
  state.form = renderForm($('fields'), t.parameters, state.uploads ? { upload: uploadFile } : {});
  if (t.suggestedParameters && Object.keys(t.parameters).length === 0) offerSuggested(t);
  $('submit').disabled = false;
}

/** A template stored without parameters: offer the ones the API suggests (a new version via PUT). */
function offerSuggested(t) {
  const names = Object.keys(t.suggestedParameters);
  if (names.length === 0) return;
  const button = el('button', { type: 'button', text: `Use the ${names.length} suggested parameters (${names.join(', ')})` });
  button.addEventListener('click', () => run($('form-error'), async () => {
    await api(`/templates/${encodeURIComponent(t.name)}`, { method: 'PUT', body: { workflow: t.workflow, parameters: t.suggestedParameters, description: t.description ?? undefined } });
    await loadTemplates(t.name);
  }));
  $('fields').append(button);
}

async function readUpload() {
  const file = $('upload-file').files?.[0];
  const text = file ? await file.text() : $('upload-json').value;
  if (!text.trim()) throw new Error('Choose a file or paste the workflow JSON');
  let json;
  try { json = JSON.parse(text); } catch (err) { throw new Error(`Not valid JSON: ${err.message}`); }
  // Same shapes as TEMPLATES_DIR files: a bare workflow, or {workflow, parameters, description}.
  const wrapped = json && typeof json === 'object' && 'workflow' in json;
  const description = $('upload-description').value || (wrapped ? json.description : undefined);
  return {
    name: $('upload-name').value.trim(),
    workflow: wrapped ? json.workflow : json,
    ...(wrapped && json.parameters ? { parameters: json.parameters } : {}),
    ...(description ? { description } : {}),
  };
}

async function upload(e) {
  e.preventDefault();
  const out = $('upload-result');
  await run(out, async () => {
    const body = await readUpload();
    if (!body.name) throw new Error('Give the template a name');
    const t = await api('/templates', { method: 'POST', body });
    const issues = t.validation && !t.validation.valid ? ` It does not validate against the pool yet: ${t.validation.errors.map((x) => x.message).join('; ')}` : '';
    out.replaceChildren(el('p', { class: issues ? 'warn' : 'ok', text: `Stored ${t.name} v${t.version}.${issues}` }));
    await loadTemplates(t.name);
  });
}

$('upload-file').addEventListener('change', () => {
  const f = $('upload-file').files?.[0];
  if (f && !$('upload-name').value) $('upload-name').value = f.name.replace(/(\.api|\.ui)?\.json$/i, '').replace(/[^A-Za-z0-9._-]/g, '-');
});

/** Runs `fn`, showing a thrown error (problem+json included) in `box`. */
async function run(box, fn) {
  try {
    box.replaceChildren();
    await fn();
  } catch (err) {
    const lines = describeProblem(err);
    box.replaceChildren(el('div', { class: 'error' }, [el('p', { text: lines[0] }), el('ul', {}, lines.slice(1).map((l) => el('li', { text: l })))]));
  }
}

// ---- jobs ------------------------------------------------------------------------------

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

function setStatus(text) {
  if ($('job-status').textContent !== text) $('job-status').textContent = text;
}

function setProgress(p) {
  const bar = $('job-progress');
  if (!p) return;
  bar.value = Math.max(0, Math.min(100, p.percent));
  const step = p.max > 1 ? `step ${p.value}/${p.max}` : '';
  $('job-progress-text').textContent = [`${Math.round(p.percent)}%`, step].filter(Boolean).join(' · ');
}

function setNode(d) {
  if (!d?.nodeId) { $('job-node').textContent = '—'; return; }
  const name = d.title ?? d.classType ?? 'node';
  const cls = d.classType && d.classType !== name ? `, ${d.classType}` : '';
  $('job-node').textContent = `${name} (#${d.nodeId}${cls})`;
}

function setPosition(pos) {
  $('job-position').textContent = pos === null || pos === undefined ? '—' : pos === 0 ? 'next to run' : `${pos} ahead`;
}

/** The job row: sets every field (used on subscription and at the end). */
function applyJob(job) {
  setStatus(`Job ${job.status}${job.status === 'queued' && job.etaMs ? ` (about ${Math.ceil(job.etaMs / 1000)} s)` : ''}`);
  setPosition(job.status === 'queued' ? job.queuePosition : null);
  $('job-backend').textContent = job.backendId ?? '—';
  if (job.progress) { setProgress(job.progress); setNode(job.progress); }
  if (job.status === 'succeeded') setProgress({ percent: 100, value: 1, max: 1 });
  showOutputs(job.outputs);
  if (job.error) showLines($('job-error'), [job.error.message, ...(job.error.nodeId ? [`node #${job.error.nodeId} ${job.error.classType ?? ''}`] : [])]);
  $('cancel').disabled = TERMINAL.has(job.status);
}

function showOutputs(outputs) {
  const j = state.job;
  if (!j) return;
  for (const o of outputs) {
    if (j.shownOutputs.has(o.n)) continue;
    j.shownOutputs.add(o.n);
    const isImage = /\.(png|jpe?g|webp|gif)$/i.test(o.filename);
    const media = isImage
      ? el('img', { src: o.url, alt: `Output ${o.n + 1}: ${o.filename}`, loading: 'lazy' })
      : el('span', { text: o.filename });
    $('outputs').append(el('figure', { class: 'output' }, [el('a', { href: o.url, target: '_blank', rel: 'noopener' }, [media]), el('figcaption', { text: `${o.filename}` })]));
  }
}

async function refreshOutputs(id) {
  const { outputs } = await api(`/jobs/${id}/outputs`);
  if (state.job?.id === id) showOutputs(outputs);
}

function onEvent(id, type, data) {
  switch (type) {
    case 'queued': setStatus('Job queued'); break;
    case 'position': setPosition(data.position); break;
    case 'started':
      setStatus(`Job running${data.attempt > 1 ? ` (attempt ${data.attempt})` : ''}`);
      setPosition(null);
      $('job-backend').textContent = data.backendId ?? '—';
      break;
    case 'node': setNode(data); break;
    case 'progress': setProgress(data); setNode(data); break;
    case 'output': void refreshOutputs(id); break;
    case 'retrying': setStatus(`Retrying: ${data.reason ?? ''}`); break;
    case 'succeeded': case 'failed': case 'cancelled':
      void api(`/jobs/${id}`).then((job) => { if (state.job?.id === id) applyJob(job); });
      break;
    default: break; // 'preview' comes as a binary frame
  }
}

function follow(id) {
  state.job?.close();
  if (state.job?.previewUrl) URL.revokeObjectURL(state.job.previewUrl);
  $('outputs').replaceChildren();
  $('job-error').replaceChildren();
  $('preview-figure').hidden = true;
  $('job-progress').value = 0;
  $('job-progress-text').textContent = '';
  setNode(null);
  $('job-id').replaceChildren(el('a', { href: `/jobs/${id}`, text: id.slice(0, 8), title: id }));
  history.replaceState(null, '', `#job=${id}`);
  const job = { id, previewUrl: '', shownOutputs: new Set(), close: () => {} };
  state.job = job;
  const live = watchJob(id, {
    snapshot: applyJob,
    event: (type, data) => onEvent(id, type, data),
    preview: (p) => {
      if (job.previewUrl) URL.revokeObjectURL(job.previewUrl);
      job.previewUrl = URL.createObjectURL(p.blob);
      $('preview').src = job.previewUrl;
      $('preview-figure').hidden = false;
    },
    connection: (s, why) => { $('job-connection').textContent = s === 'live' || s === 'closed' ? (why ?? '') : (why ?? `${s}…`); },
  }, { ticket: auth.ticket });
  job.close = live.close;
}

async function submit(e) {
  e.preventDefault();
  const box = $('form-error');
  if (!state.form || !state.template) return;
  const { params, errors } = state.form.values();
  if (errors.length) return showLines(box, ['Some values are not valid:', ...errors]);
  $('submit').disabled = true;
  await run(box, async () => {
    const job = await api('/jobs', { method: 'POST', body: { template: state.template, params } });
    follow(job.id);
    // On a narrow screen the job panel sits below the form.
    $('job-card').scrollIntoView({ block: 'nearest' });
  });
  $('submit').disabled = false;
}

async function cancel() {
  const id = state.job?.id;
  if (!id) return;
  $('cancel').disabled = true;
  await run($('job-error'), async () => applyJob(await api(`/jobs/${id}/cancel`, { method: 'POST' })));
}

// ---- auth (only when the service has it) --------------------------------------------------

/**
 * Reads what the service offers (from its OpenAPI document): image uploads, and API keys. The
 * key field shows only when keys are required; the key stays in this tab (sessionStorage).
 */
async function discover() {
  const spec = await fetch('/openapi.json').then((r) => r.json()).catch(() => null);
  state.uploads = Boolean(spec?.paths?.['/uploads']);
  if (!spec?.paths?.['/auth/ticket']) return;
  const input = $('api-key');
  auth.key = sessionStorage.getItem('comfy-fleet-key') ?? '';
  input.value = auth.key;
  const apply = () => {
    if (input.value.trim() === auth.key) return;
    auth.key = input.value.trim();
    sessionStorage.setItem('comfy-fleet-key', auth.key);
    void run($('form-error'), () => loadTemplates(state.template));
  };
  input.addEventListener('change', apply);
  $('auth').addEventListener('submit', (e) => { e.preventDefault(); apply(); });
  // Browsers cannot set headers on a websocket: a short-lived single-use ticket goes in the URL.
  auth.ticket = async () => (auth.key ? (await api('/auth/ticket', { method: 'POST', body: {} })).ticket : null);
  const who = await api('/auth/whoami').catch((err) => (err instanceof ApiError ? null : { open: true }));
  $('auth').hidden = who?.open === true;
}

// ---- start -----------------------------------------------------------------------------

$('template-select').addEventListener('change', (e) => void run($('form-error'), () => showTemplate(e.target.value)));
$('upload-form').addEventListener('submit', (e) => void upload(e));
$('job-form').addEventListener('submit', (e) => void submit(e));
$('cancel').addEventListener('click', () => void cancel());
await discover();
pollServers($('servers'), $('servers-summary'));
await run($('form-error'), () => loadTemplates());
const resumed = /^#job=([\w-]+)$/.exec(location.hash)?.[1];
if (resumed) follow(resumed);
