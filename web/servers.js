// The backends panel: GET /servers every 2 s (GET /ready on services without /servers, whose
// body lists the backends too, even when it answers 503).
import { api, ApiError } from './api.js';
import { el } from './form.js';

const PERIOD_MS = 2000;

/** @param {{id: string, url: string, kind: string, state: string, reason: string, queueDepth?: number, simulated?: boolean}} s */
function row(s) {
  const extra = [s.kind, s.simulated ? 'stand-in' : '', s.queueDepth !== undefined ? `queue ${s.queueDepth}` : ''].filter(Boolean).join(' · ');
  return el('li', { class: 'server', 'data-state': s.state }, [
    el('div', { class: 'server-head' }, [
      el('strong', { text: s.id }),
      el('span', { class: `badge state-${s.state}`, text: s.state }),
    ]),
    el('div', { class: 'muted small', text: `${s.url} · ${extra}` }),
    s.reason ? el('div', { class: 'small', text: s.reason }) : '',
  ]);
}

async function fetchServers() {
  try {
    return (await api('/servers')).servers;
  } catch (err) {
    const p = err instanceof ApiError ? err.problem : null;
    if (p?.status === 404 || p?.code === 'FLEET_ROUTE_NOT_FOUND') {
      const res = await fetch('/ready');
      return (await res.json()).backends;
    }
    throw err;
  }
}

/** @param {HTMLUListElement} list @param {HTMLElement} summary */
export function pollServers(list, summary) {
  const tick = async () => {
    if (!document.hidden) {
      try {
        const servers = await fetchServers();
        list.replaceChildren(...servers.map(row));
        const ready = servers.filter((s) => s.state === 'ready' || s.state === 'busy').length;
        const text = `${ready} of ${servers.length} ready`;
        // Only a changed summary is written, so screen readers are not told the same thing every 2 s.
        if (summary.textContent !== text) summary.textContent = text;
      } catch (err) {
        summary.textContent = `Cannot list the backends: ${err instanceof Error ? err.message : err}`;
      }
    }
    setTimeout(tick, PERIOD_MS);
  };
  void tick();
}
