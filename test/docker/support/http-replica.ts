// One server replica's HTTP API as a client outside the containers sees it, recording every answer
// that is not a typed one (a problem+json document with a code, not a 500) for the test to report.

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  /** The JSON body of a success (T), or the problem document of an error. */
  readonly body: T;
  /** The problem document's `code` for an error answer. */
  readonly code?: string;
}

/** No answer at all: the connection failed or was cut, or the request timed out. */
export class NoAnswerError extends Error {
  constructor(
    readonly replica: string,
    cause: unknown,
  ) {
    super(`${replica}: no answer (${describe(cause)})`, { cause });
    this.name = 'NoAnswerError';
  }

  get timedOut(): boolean {
    return (this.cause as { name?: string } | undefined)?.name === 'TimeoutError';
  }
}

/** Longer than any answer a replica gives while Redis is down (it answers 503 within seconds). */
export const REQUEST_TIMEOUT_MS = 30_000;

export class HttpReplica {
  /**
   * `untyped` collects the error answers that were not typed, as
   * `<replica> <method> <path> -> <status> <content-type> <body>`.
   */
  constructor(
    readonly name: string,
    readonly baseUrl: string,
    private readonly token: string,
    private readonly untyped: string[],
  ) {}

  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Answer<T>> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new NoAnswerError(this.name, error);
    }
    if (response.ok) {
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
    }
    const type = response.headers.get('content-type') ?? '';
    let problem: Record<string, unknown> = {};
    try {
      problem = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* recorded below */
    }
    const code = typeof problem.code === 'string' ? problem.code : undefined;
    if (!type.startsWith('application/problem+json') || !code || response.status === 500) {
      this.untyped.push(
        `${this.name} ${method} ${path} -> ${response.status} ${type} ${text.slice(0, 300)}`,
      );
    }
    return { status: response.status, body: problem as T, ...(code ? { code } : {}) };
  }

  /** The whole NDJSON replay of one agent. */
  async replay<T>(namespace: string, agentId: string): Promise<T[]> {
    const response = await fetch(
      `${this.baseUrl}/v1/replay?namespace=${namespace}&agentId=${encodeURIComponent(agentId)}`,
      { headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(60_000) },
    );
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`replay of ${agentId}: ${response.status} ${text}`);
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as T);
  }

  /** Polls /readyz until it answers 200 (Redis reachable); returns its lastCommitTs. */
  async waitReady(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`${this.baseUrl}/readyz`, {
          signal: AbortSignal.timeout(5_000),
        });
        const body = (await response.json()) as { lastCommitTs?: number };
        if (response.status === 200) return body.lastCommitTs ?? 0;
        last = `${response.status} ${JSON.stringify(body)}`;
      } catch (error) {
        last = describe(error);
      }
      await new Promise((done) => setTimeout(done, 250));
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms (last: ${last})`);
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const message = error instanceof Error ? error.message : String(error);
  return cause ? `${message}: ${cause.code ?? cause.message}` : message;
}
