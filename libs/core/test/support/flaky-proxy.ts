import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of Redis that can lose one reply: once armed, the next bytes Redis sends
 * back are dropped and the client's connection is cut, after Redis has executed the command.
 */
export class FlakyProxy {
  private server: Server | undefined;
  private armed = false;
  /** Set by armRequest(): the connection that next sends a request holding this loses its reply. */
  private armedRequest: string | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();
  /** How many replies were lost. */
  dropped = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<string> {
    this.server = createServer((client) => {
      const upstream = connect(this.target);
      this.sockets.add(client).add(upstream);
      let losesReply = false;
      client.on('data', (chunk) => {
        if (this.armedRequest !== undefined && chunk.includes(this.armedRequest)) {
          this.armedRequest = undefined;
          losesReply = true;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (this.armed || losesReply) {
          this.armed = false;
          losesReply = false;
          this.dropped++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((done) => this.server!.listen(this.port, '127.0.0.1', done));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Loses the next reply (and the connection it came on). */
  arm(): void {
    this.armed = true;
  }

  /**
   * Loses the reply to the next request that holds `text` (a key name, say), and the connection
   * that sent it: not a reply another connection happens to receive first.
   */
  armRequest(text: string): void {
    this.armedRequest = text;
  }

  /** Refuses new connections (Redis unreachable through the proxy) until listen() again. */
  stopListening(): void {
    this.server?.close(); // its callback waits for the open connections: not awaited
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => this.server?.close(() => done()) ?? done());
  }
}
