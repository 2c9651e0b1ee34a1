/**
 * Free TCP ports on 127.0.0.1 for spawned servers. ComfyUI must not be given `--port 0` (it
 * would print `:0` and the real port could not be learned, PROTOCOL.md §2.1), so we ask the
 * kernel for an ephemeral port, release it, and hand it out. Ports handed out and not yet
 * released are remembered so two servers starting at once never get the same one, even before
 * either has bound it.
 */
import net from 'node:net';

export class PortAllocator {
  readonly #held = new Set<number>();
  readonly #host: string;

  constructor(host = '127.0.0.1') {
    this.#host = host;
  }

  /** A port that is free right now and not held by another server of this pool. */
  async reserve(): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await ephemeralPort(this.#host);
      if (this.#held.has(port)) continue;
      this.#held.add(port);
      return port;
    }
    throw new Error('no free port found in 50 attempts');
  }

  /** Marks a port as ours without probing it (a re-adopted server already listens on it). */
  hold(port: number): void {
    this.#held.add(port);
  }

  release(port: number): void {
    this.#held.delete(port);
  }

  isHeld(port: number): boolean {
    return this.#held.has(port);
  }
}

function ephemeralPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('kernel gave no port'))));
    });
  });
}
