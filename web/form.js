// The parameter form of a template, built from the JSON Schemas the API derives for each
// parameter (GET /templates/:name → parameters.<name>.schema). Extensions used: x-step,
// x-multiline, x-seed (integer or "random"), x-upload (a file of the backend's input folder).

/**
 * @typedef {{schema: Record<string, any>, required: boolean, description?: string, default?: unknown, problem?: string}} ParameterView
 * @typedef {{name: string, read: () => {value?: unknown, error?: string}}} Field
 */

let uid = 0;
const nextId = (name) => `param-${name.replace(/[^\w-]/g, '_')}-${++uid}`;

/** @param {string} tag @param {Record<string, any>} [props] @param {(Node | string)[]} [children] */
export function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children);
  return node;
}

/** The schema of the member a form can edit, for `anyOf`s such as seed (integer | "random"). */
function editable(schema) {
  if (!Array.isArray(schema.anyOf)) return schema;
  return schema.anyOf.find((s) => s.type === 'integer' || s.type === 'number') ?? schema.anyOf.find((s) => s.type === 'string') ?? schema;
}

/**
 * An image input (x-upload): a file name already in the backend's input folder, or a file from
 * this computer, uploaded as soon as it is chosen so the job only carries its id.
 */
function uploadControl(id, view, opts) {
  const def = view.default;
  const name = el('input', { id, type: 'text', value: typeof def === 'string' ? def : '', placeholder: 'example.png', required: view.required, autocomplete: 'off' });
  if (!opts.upload) return { node: name, read: () => (name.value ? { value: name.value } : {}), hint: "File name in the backend's input folder" };
  const file = el('input', { id: `${id}-file`, type: 'file', accept: 'image/png,image/jpeg,image/webp,image/gif' });
  const status = el('small', { class: 'help', 'aria-live': 'polite' });
  /** @type {{state: 'none' | 'uploading' | 'done' | 'failed', value?: {upload: string}}} */
  let chosen = { state: 'none' };
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) { chosen = { state: 'none' }; status.textContent = ''; return; }
    chosen = { state: 'uploading' };
    status.textContent = `Uploading ${f.name}…`;
    try {
      chosen = { state: 'done', value: await opts.upload(f) };
      status.textContent = `Uploaded ${f.name}; it will be used instead of the file name.`;
    } catch (err) {
      chosen = { state: 'failed' };
      status.textContent = `Upload failed: ${err instanceof Error ? err.message : err}`;
    }
  });
  const node = el('div', { class: 'upload' }, [name, el('label', { class: 'inline', for: file.id }, ['or upload an image: ', file]), status]);
  return {
    node,
    hint: "File name in the backend's input folder",
    read: () => {
      if (chosen.state === 'uploading') return { error: 'is still uploading' };
      if (chosen.state === 'failed') return { error: 'could not be uploaded' };
      if (chosen.value) return { value: chosen.value };
      return name.value ? { value: name.value } : {};
    },
  };
}

const numberRead = (input, integer) => () => {
  if (input.value === '') return {};
  const n = Number(input.value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return { error: `must be ${integer ? 'a whole number' : 'a number'}` };
  if (!input.checkValidity()) return { error: input.validationMessage };
  return { value: n };
};

/** One control for one schema; returns the control and how to read its value. */
function control(id, name, view, opts) {
  const s = view.schema;
  const def = view.default;
  if (s['x-upload']) return uploadControl(id, view, opts);
  const base = editable(s);
  if (Array.isArray(base.enum) || base.const !== undefined) {
    const options = base.enum ?? [base.const];
    const select = el('select', { id }, options.map((o) => el('option', { value: String(o), text: String(o), selected: o === def })));
    return { node: select, read: () => ({ value: options[select.selectedIndex] }) };
  }
  if (base.type === 'integer' || base.type === 'number') {
    const integer = base.type === 'integer';
    const input = el('input', {
      id, type: 'number', inputmode: integer ? 'numeric' : 'decimal', required: view.required,
      min: base.minimum, max: base.maximum, step: base['x-step'] ?? (integer ? 1 : 'any'),
      value: typeof def === 'number' ? String(def) : '',
    });
    if (!base['x-seed']) return { node: input, read: numberRead(input, integer) };
    // A seed: a number, or a fresh random one per job (the template's "random" default).
    const random = el('input', { id: `${id}-random`, type: 'checkbox', checked: def === 'random' });
    const sync = () => { input.disabled = random.checked; };
    random.addEventListener('change', sync);
    sync();
    const node = el('div', { class: 'seed' }, [input, el('label', { class: 'inline', for: random.id }, [random, ' random'])]);
    return { node, read: () => (random.checked ? { value: 'random' } : numberRead(input, integer)()) };
  }
  if (base.type === 'boolean') {
    const box = el('input', { id, type: 'checkbox', checked: def === true });
    return { node: box, read: () => ({ value: box.checked }) };
  }
  if (base.type === 'string') {
    const text = typeof def === 'string' ? def : '';
    const input = base['x-multiline']
      ? el('textarea', { id, rows: 3, required: view.required, text })
      : el('input', { id, type: 'text', value: text, required: view.required, autocomplete: 'off' });
    return { node: input, read: () => (input.value === '' && !view.required ? {} : { value: input.value }) };
  }
  // Anything else (objects, unknown types) is edited as JSON.
  const area = el('textarea', { id, rows: 2, class: 'json', text: def === undefined ? '' : JSON.stringify(def) });
  return {
    node: area,
    hint: 'JSON value',
    read: () => {
      if (area.value.trim() === '') return {};
      try { return { value: JSON.parse(area.value) }; } catch { return { error: 'is not valid JSON' }; }
    },
  };
}

/**
 * Renders one field per parameter into `container`.
 * @param {HTMLElement} container
 * @param {Record<string, ParameterView>} parameters
 * @param {{upload?: (file: File) => Promise<{upload: string}>}} [opts] stores a chosen file (POST /uploads)
 * @returns {{values: () => {params: Record<string, unknown>, errors: string[]}}}
 */
export function renderForm(container, parameters, opts = {}) {
  container.replaceChildren();
  /** @type {Field[]} */
  const fields = [];
  const entries = Object.entries(parameters);
  if (entries.length === 0) container.append(el('p', { class: 'muted', text: 'This template declares no parameters: it runs as stored.' }));
  for (const [name, view] of entries) {
    const id = nextId(name);
    const c = control(id, name, view, opts);
    const helpText = [view.description, c.hint].filter(Boolean).join(' — ');
    const help = helpText ? el('small', { id: `${id}-help`, class: 'help', text: helpText }) : null;
    if (help) c.node.setAttribute?.('aria-describedby', help.id);
    if (help && c.node.tagName === 'DIV') c.node.querySelector('input')?.setAttribute('aria-describedby', help.id);
    const label = el('label', { for: id }, [name, view.required ? el('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : '']);
    const row = el('div', { class: 'field' }, [label, c.node, help ?? '']);
    if (view.problem) {
      row.append(el('small', { class: 'problem', role: 'note', text: view.problem }));
      row.querySelectorAll('input, select, textarea').forEach((x) => { x.disabled = true; });
    } else {
      fields.push({ name, read: c.read });
    }
    container.append(row);
  }
  return {
    values() {
      const params = {};
      const errors = [];
      for (const f of fields) {
        const r = f.read();
        if (r.error) errors.push(`${f.name} ${r.error}`);
        else if (r.value !== undefined) params[f.name] = r.value;
      }
      return { params, errors };
    },
  };
}
