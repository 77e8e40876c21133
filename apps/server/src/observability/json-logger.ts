import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/server-config';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/**
 * Structured logs: one JSON object per line on stdout ({ time, level, msg, ...fields }), for Nest's
 * own messages and the server's request logs alike.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => void process.stdout.write(line),
  ) {}

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  /** A structured entry: `fields` are merged into the line. */
  entry(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  }

  log(message: unknown, context?: string): void {
    this.entry('info', String(message), context ? { context } : {});
  }

  error(message: unknown, stackOrContext?: string, context?: string): void {
    this.entry('error', String(message), {
      ...(context ? { context, stack: stackOrContext } : { context: stackOrContext }),
    });
  }

  warn(message: unknown, context?: string): void {
    this.entry('warn', String(message), context ? { context } : {});
  }

  debug(message: unknown, context?: string): void {
    this.entry('debug', String(message), context ? { context } : {});
  }

  verbose(message: unknown, context?: string): void {
    this.debug(message, context);
  }
}
