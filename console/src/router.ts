/** Hash routes (`#/w/<id>`): they work from S3 and CloudFront with no rewrite rules. */

/** A page: its element and what to stop when leaving it. */
export interface Page {
  el: HTMLElement;
  dispose?(): void;
}

/** A matched route. */
export type Route =
  | { name: 'workflows'; tab: string }
  | { name: 'workflow'; id: string; version?: number }
  | { name: 'run'; runId: string }
  | { name: 'inbox' };

/** Parses `location.hash`. */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts[0] === 'w' && parts[1]) {
    const version = Number(query.get('version'));
    return { name: 'workflow', id: parts[1], ...(Number.isInteger(version) && version > 0 ? { version } : {}) };
  }
  if (parts[0] === 'runs' && parts[1]) return { name: 'run', runId: parts[1] };
  if (parts[0] === 'inbox') return { name: 'inbox' };
  return { name: 'workflows', tab: query.get('tab') ?? 'mine' };
}

/** Links. */
export const href = {
  workflows: (tab = 'mine') => `#/?tab=${tab}`,
  workflow: (id: string, version?: number) => `#/w/${encodeURIComponent(id)}${version ? `?version=${version}` : ''}`,
  run: (runId: string) => `#/runs/${encodeURIComponent(runId)}`,
  inbox: () => '#/inbox',
};
