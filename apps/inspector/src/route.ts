// The inspector's routes live in the URL's fragment (#/ns/<namespace>/agent/<agentId>/...): each
// name percent-encoded, so any namespace, agent or key (with "/", "~", "#", spaces) round-trips,
// and the fragment is never sent to the server, so names stay out of its logs.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'namespaces' }
  | { page: 'agents'; namespace: string }
  | { page: 'agent'; namespace: string; agentId: string }
  | { page: 'key'; namespace: string; agentId: string; key: string }
  | { page: 'timeline'; namespace: string; agentId: string }
  | { page: 'transaction'; txId: string; agentId?: string }
  | { page: 'notFound'; reason: string };

export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.page) {
    case 'namespaces':
    case 'notFound':
      return '#/';
    case 'agents':
      return `#/ns/${e(route.namespace)}`;
    case 'agent':
      return `#/ns/${e(route.namespace)}/agent/${e(route.agentId)}`;
    case 'key':
      return `#/ns/${e(route.namespace)}/agent/${e(route.agentId)}/key/${e(route.key)}`;
    case 'timeline':
      return `#/ns/${e(route.namespace)}/agent/${e(route.agentId)}/timeline`;
    case 'transaction':
      return `#/tx/${e(route.txId)}${route.agentId === undefined ? '' : `/agent/${e(route.agentId)}`}`;
  }
}

export function parse(hash: string): Route {
  let parts: string[];
  try {
    parts = hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter((part) => part !== '')
      .map((part) => decodeURIComponent(part));
  } catch {
    return { page: 'notFound', reason: 'This address is not well formed (a broken %-escape).' };
  }
  const [a, namespace, b, agentId, c, key, ...rest] = parts;
  if (parts.length === 0) return { page: 'namespaces' };
  if (a === 'tx' && namespace !== undefined && (b === undefined || (b === 'agent' && agentId))) {
    return { page: 'transaction', txId: namespace, ...(agentId ? { agentId } : {}) };
  }
  if (a === 'ns' && namespace !== undefined && rest.length === 0) {
    if (b === undefined) return { page: 'agents', namespace };
    if (b === 'agent' && agentId !== undefined) {
      if (c === undefined) return { page: 'agent', namespace, agentId };
      if (c === 'timeline' && key === undefined) return { page: 'timeline', namespace, agentId };
      if (c === 'key' && key !== undefined) return { page: 'key', namespace, agentId, key };
    }
  }
  return { page: 'notFound', reason: `There is no page at ${hash}.` };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parse(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
