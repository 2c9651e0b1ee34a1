import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { redactUrl } from '../../src/log.ts';
import { makeApp } from '../helpers/app.ts';
import { FakeBackend, FakeSource } from '../helpers/fake-backend.ts';
import { passThrough, terminal, until, workflow } from '../helpers/jobs.ts';
import type { Job } from '../../src/jobs/schemas.ts';
import { API_KEYS, bearer, KEYS } from './helpers.ts';

/** Collects every log line the app writes. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  return { lines, stream };
}

test('keys and tickets appear in no log line and no error reply', async (t) => {
  const { lines, stream } = capture();
  const app = await makeApp(t, { API_KEYS, LOG_LEVEL: 'trace', RATE_LIMIT_PER_MINUTE: '0' }, {
    jobSource: new FakeSource([new FakeBackend('b1')]), resolver: passThrough, processMetrics: false, logger: true, logStream: stream,
  });
  const job = (await app.inject({ method: 'POST', url: '/jobs', headers: bearer(KEYS.web), payload: { workflow: workflow() } })).json() as Job;
  await until(async () => (await app.inject({ method: 'GET', url: `/jobs/${job.id}`, headers: bearer(KEYS.web) })).json() as Job, terminal);
  const { ticket } = (await app.inject({ method: 'POST', url: '/auth/ticket', headers: bearer(KEYS.web) })).json() as { ticket: string };
  const replies = [
    await app.inject({ method: 'GET', url: `/jobs/${job.id}/events?ticket=${ticket}` }),
    await app.inject({ method: 'GET', url: `/jobs/${job.id}/events?after=0&ticket=${ticket}` }), // reused: 401
    await app.inject({ method: 'GET', url: '/jobs', headers: { authorization: `Bearer ${KEYS.admin}x` } }), // unknown key
    await app.inject({ method: 'GET', url: `/jobs?ticket=${KEYS.mobile}` }), // a key where it does not belong
    await app.inject({ method: 'POST', url: '/servers', headers: bearer(KEYS.reader), payload: { url: 'http://127.0.0.1:1' } }), // 403
  ];
  assert.deepEqual(replies.map((r) => r.statusCode), [200, 401, 401, 401, 403]);
  app.log.info({ headers: { authorization: `Bearer ${KEYS.web}` }, webhook: { secret: 'whsec_abc' }, ticket }, 'a careless log call');

  const secrets = [...Object.values(KEYS), `${KEYS.admin}x`, ticket, 'whsec_abc'];
  for (const s of secrets) {
    assert.ok(!lines.some((l) => l.includes(s)), `a log line contains ${s.slice(0, 6)}…: ${lines.find((l) => l.includes(s))?.slice(0, 400)}`);
    for (const r of replies.slice(1)) assert.ok(!r.body.includes(s), `a ${r.statusCode} reply contains ${s.slice(0, 6)}…`);
  }
  const logged = lines.map((l) => JSON.parse(l) as { req?: { url?: string }; msg?: string; reqId?: string });
  const sseLine = logged.find((l) => l.req?.url?.startsWith(`/jobs/${job.id}/events?ticket=`));
  assert.equal(sseLine?.req?.url, `/jobs/${job.id}/events?ticket=[redacted]`);
  assert.ok(logged.some((l) => l.req?.url === `/jobs/${job.id}/events?after=0&ticket=[redacted]`));
  assert.ok(logged.some((l) => l.msg === 'a careless log call'));
  assert.ok(logged.filter((l) => l.req).every((l) => typeof l.reqId === 'string'), 'request lines carry a request id');
});

test('redactUrl covers the usual credential parameter names and leaves the rest', () => {
  assert.equal(redactUrl('/ws?previews=json&ticket=tk_abc&x=1'), '/ws?previews=json&ticket=[redacted]&x=1');
  assert.equal(redactUrl('/x?api_key=a&token=b&access_token=c'), '/x?api_key=[redacted]&token=[redacted]&access_token=[redacted]');
  assert.equal(redactUrl('/jobs?status=queued'), '/jobs?status=queued');
});

test('a bad API_KEYS setting is reported without echoing any secret', () => {
  const secret = 'a-perfectly-long-secret-value';
  assert.throws(() => loadConfig({ API_KEYS: `web:${secret}:launch` }), (err: Error) => {
    assert.match(err.message, /API_KEYS: entry 1 \(web\): scopes must be read, submit, admin/);
    assert.ok(!err.message.includes(secret));
    return true;
  });
  assert.throws(() => loadConfig({ API_KEYS: `a:${secret}:read,b:${secret}:read` }), (err: Error) => !err.message.includes(secret) && /same secret/.test(err.message));
  const config = loadConfig({ API_KEYS: `web:${secret}:read` });
  assert.ok(!JSON.stringify(config).includes(secret), 'the config holds digests only');
});
