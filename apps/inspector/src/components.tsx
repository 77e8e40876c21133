import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

/** Values longer than this (pretty-printed) are cut, with a button to show the rest. */
export const TRUNCATE_AT = 2000;

/**
 * A value pretty-printed, as text: Preact sets it as a text node, so HTML or a script in a
 * value is shown, never parsed or run (the page's policy also refuses inline scripts).
 */
export function Value({ value }: { value: unknown }) {
  const text = value === null ? '(deleted)' : JSON.stringify(value, null, 2);
  const [expanded, setExpanded] = useState(false);
  const long = text.length > TRUNCATE_AT;
  return (
    <div class="value">
      <pre>{long && !expanded ? `${text.slice(0, TRUNCATE_AT)}…` : text}</pre>
      {long && (
        <button type="button" class="expand" onClick={() => setExpanded(!expanded)}>
          {expanded
            ? 'Show less'
            : `Show all (${text.length.toLocaleString('en')} characters, ${(
                text.length - TRUNCATE_AT
              ).toLocaleString('en')} hidden)`}
        </button>
      )}
    </div>
  );
}

/** What a refusal means to the person looking. */
export function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return String(error);
  if (error.status === 410) {
    return `History before commitTs ${error.compactedTs ?? '?'} was removed by the retention policy. (${error.message})`;
  }
  if (error.status === 401) return `The server refused the token: ${error.message}.`;
  if (error.status === 403) return `This token may not read that namespace. (${error.message})`;
  return `${error.message} (${error.code})`;
}

export function ErrorBox({ error }: { error: unknown }) {
  return (
    <p class="error" role="alert">
      {explain(error)}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

type Loaded<T> =
  { state: 'loading' } | { state: 'done'; data: T } | { state: 'failed'; error: unknown };

/** Runs `load` when a dependency changes; an answer that arrives after a newer load is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    load().then(
      (data) => current && setLoaded({ state: 'done', data }),
      (error: unknown) => current && setLoaded({ state: 'failed', error }),
    );
    return () => {
      current = false;
    };
  }, deps);
  return loaded;
}

/** Renders the data once loaded; a spinner before, the refusal after a failure. */
export function Show<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T>;
  children: (data: T) => ComponentChildren;
}) {
  if (loaded.state === 'loading') return <p class="loading">Loading…</p>;
  if (loaded.state === 'failed') return <ErrorBox error={loaded.error} />;
  return <>{children(loaded.data)}</>;
}

export function Crumbs({ children }: { children: ComponentChildren }) {
  return <nav class="crumbs">{children}</nav>;
}

export function time(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

/** Pages read with cursors: the cursors of the pages seen, to go back ('' for the first). */
export function usePages() {
  const [cursors, setCursors] = useState<string[]>(['']);
  return {
    cursor: cursors[cursors.length - 1]!,
    reset: () => setCursors(['']),
    Pager: ({ next }: { next: string | null }) => (
      <div class="pager">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          ← Previous
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          class="next"
          disabled={next === null}
          onClick={() => next !== null && setCursors([...cursors, next])}
        >
          Next →
        </button>
      </div>
    ),
  };
}

/** A list as a table: a header row, then one row per item with its cells. */
export function Table<T>(props: {
  id: string;
  columns: ComponentChildren[];
  rows: T[];
  rowKey: (row: T) => string | number;
  cells: (row: T) => ComponentChildren[];
}) {
  return (
    <table class="list" id={props.id}>
      <thead>
        <tr>
          {props.columns.map((column, i) => (
            <th key={i}>{column}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {props.cells(row).map((cell, i) => (
              <td key={i}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
