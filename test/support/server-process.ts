// The server as users run it: `node apps/server/dist/main.js` in a process of its own (build first).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(__dirname, '..', '..', 'apps', 'server', 'dist', 'main.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly lines: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

/** Starts `node dist/main.js` and waits for its "ready" log line (JSON logs on stdout). */
export function startServerProcess(args: string[], env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN, '--grpc-port', '0', '--http-port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        if (line.msg === 'statehouse server ready') {
          resolve({
            child,
            grpcPort: line.grpcPort as number,
            httpPort: line.httpPort as number,
            lines,
            exited,
          });
        }
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
}

/** SIGTERM to a server still running, then waits for it to exit; its exit code (or null). */
export async function stopServerProcess(server: ServerProcess): Promise<number | null> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
  }
  return server.exited;
}
