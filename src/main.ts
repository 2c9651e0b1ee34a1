// Entry point: config → app → listen; SIGTERM/SIGINT drain (no new jobs, running ones get
// SHUTDOWN_GRACE_MS to finish), close the app and exit. A second signal exits at once.
import { buildApp } from './app.ts';
import { assertSafeBind } from './auth/bind.ts';
import { drainAndClose } from './ops/shutdown.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    assertSafeBind(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`comfy-fleet: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await buildApp(config);
  if (config.comfy.simulated) {
    app.log.warn({ spawnCount: config.comfy.spawnCount }, 'no ComfyUI configured: running SIMULATED stand-in backends (set COMFY_PATH, COMFY_COMMAND or COMFY_SERVERS for real ones)');
  }
  if (config.auth.keys.length === 0) {
    app.log.warn({ host: config.host }, 'no API_KEYS configured: authentication is OFF; listening on loopback only (set API_KEYS to listen on other addresses)');
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting without waiting for running jobs');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: no new jobs; waiting for running ones');
    drainAndClose(app, config.shutdownGraceMs).then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
}

main().catch((err: unknown) => {
  process.stderr.write(`comfy-fleet: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
