/**
 * The workflow's DAG drawn as SVG, laid out by dagre (left to right). A `map` node with a `body` is drawn
 * as a group holding the map node and its body's nodes. `update` colours each node by its live status and
 * shows a map node's item progress; clicking a node selects it.
 */
import { graphlib, layout } from '@dagrejs/dagre';
import type { NodeView } from '../../../client/live-view';
import { svg } from '../dom';

interface DefNode {
  id: string;
  type: string;
  description?: string;
  body?: { nodes?: DefNode[]; edges?: DefEdge[] };
}
interface DefEdge {
  from: string;
  to: string;
  when?: unknown;
  default?: boolean;
}

/** The drawn DAG. */
export interface DagView {
  el: SVGSVGElement;
  /** Applies live node state (keyed by node id; body nodes as `mapId/childId`). */
  update(nodes: ReadonlyMap<string, NodeView>): void;
  /** Highlights a node. */
  select(nodeId: string | undefined): void;
}

const NODE_W = 156;
const NODE_H = 56;
const TYPE_LABEL: Record<string, string> = {
  agent_call: 'agent', tool_call: 'tool', human_gate: 'gate', condition: 'condition', parallel: 'parallel', join: 'join', map: 'map',
};

function edgeLabel(edge: DefEdge): string {
  if (edge.default) return 'default';
  return edge.when === undefined ? '' : String(edge.when);
}

/** Draws a definition (`{ nodes, edges }`). */
export function drawDag(definition: { nodes?: unknown; edges?: unknown }, onSelect?: (nodeId: string) => void): DagView {
  const nodes = (Array.isArray(definition.nodes) ? definition.nodes : []) as DefNode[];
  const edges = (Array.isArray(definition.edges) ? definition.edges : []) as DefEdge[];
  const g = new graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 46, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const meta = new Map<string, DefNode>();
  const groups: string[] = [];

  for (const node of nodes) {
    meta.set(node.id, node);
    g.setNode(node.id, { width: NODE_W, height: NODE_H });
    const body = node.type === 'map' && node.body && Array.isArray(node.body.nodes) ? node.body : undefined;
    if (!body) continue;
    const group = `group:${node.id}`;
    groups.push(group);
    g.setNode(group, { label: node.id, paddingTop: 28 });
    g.setParent(node.id, group);
    const inner = new Set<string>();
    for (const child of body.nodes ?? []) {
      const key = `${node.id}/${child.id}`;
      meta.set(key, child);
      g.setNode(key, { width: NODE_W, height: NODE_H });
      g.setParent(key, group);
      inner.add(child.id);
    }
    const hasIncoming = new Set((body.edges ?? []).map((e) => e.to));
    for (const child of body.nodes ?? []) if (!hasIncoming.has(child.id)) g.setEdge(node.id, `${node.id}/${child.id}`, { label: 'each item', body: true }, `b:${child.id}`);
    for (const edge of body.edges ?? []) {
      if (inner.has(edge.from) && inner.has(edge.to)) g.setEdge(`${node.id}/${edge.from}`, `${node.id}/${edge.to}`, { label: edgeLabel(edge) }, `${edge.from}>${edge.to}`);
    }
  }
  // The flow goes on after every item is done: a map's outgoing edges leave from its body's last nodes.
  const sinksOf = new Map<string, string[]>();
  for (const node of nodes) {
    const body = node.type === 'map' && node.body && Array.isArray(node.body.nodes) ? node.body : undefined;
    if (!body?.nodes?.length) continue;
    const hasOutgoing = new Set((body.edges ?? []).map((e) => e.from));
    sinksOf.set(node.id, body.nodes.filter((c) => !hasOutgoing.has(c.id)).map((c) => `${node.id}/${c.id}`));
  }
  edges.forEach((edge, i) => {
    if (!meta.has(edge.from) || !meta.has(edge.to)) return;
    const label = { label: edgeLabel(edge), width: edge.when !== undefined || edge.default ? 40 : 0, height: 14 };
    for (const from of sinksOf.get(edge.from) ?? [edge.from]) g.setEdge(from, edge.to, label, `e${i}:${from}`);
  });
  layout(g);

  const { width = 0, height = 0 } = g.graph();
  const root = svg('svg', { class: 'dag', viewBox: `0 0 ${Math.max(width, 1)} ${Math.max(height, 1)}`, width: Math.max(width, 1), height: Math.max(height, 1), role: 'img', 'aria-label': 'workflow graph' });
  const defs = svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' })));
  root.append(defs);

  for (const group of groups) {
    const box = g.node(group);
    root.append(svg('g', { class: 'group' },
      svg('rect', { x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height, rx: 10 }),
      svg('text', { x: box.x - box.width / 2 + 12, y: box.y - box.height / 2 + 18, class: 'group-label' }, `map ${group.slice(6)} · for each item`),
    ));
  }

  for (const e of g.edges()) {
    const label = g.edge(e) as { points?: { x: number; y: number }[]; label?: string; body?: boolean; x?: number; y?: number };
    const points = label.points ?? [];
    if (points.length === 0) continue;
    const [first, ...rest] = points;
    let d = `M ${first!.x} ${first!.y}`;
    // Smooth the polyline through midpoints (quadratic segments).
    for (let i = 0; i < rest.length; i++) {
      const p = rest[i]!;
      const next = rest[i + 1];
      d += next ? ` Q ${p.x} ${p.y} ${(p.x + next.x) / 2} ${(p.y + next.y) / 2}` : ` L ${p.x} ${p.y}`;
    }
    const group = svg('g', { class: `edge${label.body ? ' body-edge' : ''}` }, svg('path', { d, 'marker-end': 'url(#arrow)' }));
    if (label.label && label.x !== undefined && label.y !== undefined) {
      group.append(svg('rect', { x: label.x - 22, y: label.y - 9, width: 44, height: 16, rx: 8, class: 'edge-label-bg' }));
      group.append(svg('text', { x: label.x, y: label.y + 3, 'text-anchor': 'middle', class: 'edge-label' }, label.label));
    }
    root.append(group);
  }

  const drawn = new Map<string, { g: SVGGElement; status: SVGTextElement; bar: SVGRectElement; barBg: SVGRectElement }>();
  for (const id of g.nodes()) {
    const node = meta.get(id);
    if (!node || id.startsWith('group:')) continue;
    const box = g.node(id);
    const x = box.x - NODE_W / 2;
    const y = box.y - NODE_H / 2;
    const status = svg('text', { x: x + NODE_W - 12, y: y + 40, 'text-anchor': 'end', class: 'node-status' }, 'pending');
    const barBg = svg('rect', { x: x + 14, y: y + NODE_H - 11, width: NODE_W - 28, height: 4, rx: 2, class: 'bar-bg', visibility: 'hidden' });
    const bar = svg('rect', { x: x + 14, y: y + NODE_H - 11, width: 0, height: 4, rx: 2, class: 'bar', visibility: 'hidden' });
    const title = svg('title', {}, `${node.id} (${node.type})${node.description ? `\n${node.description}` : ''}`);
    const el = svg('g', { class: 'node status-pending', 'data-node': id, tabindex: 0, role: 'button', 'aria-label': `${node.id} ${node.type}` },
      title,
      svg('rect', { x, y, width: NODE_W, height: NODE_H, rx: 9, class: 'node-box' }),
      svg('rect', { x, y, width: 5, height: NODE_H, rx: 2, class: 'node-stripe' }),
      svg('text', { x: x + 14, y: y + 22, class: 'node-id' }, node.id.length > 19 ? `${node.id.slice(0, 18)}…` : node.id),
      svg('text', { x: x + 14, y: y + 40, class: 'node-type' }, TYPE_LABEL[node.type] ?? node.type),
      status, barBg, bar,
    );
    el.addEventListener('click', () => onSelect?.(id));
    el.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') onSelect?.(id);
    });
    root.append(el);
    drawn.set(id, { g: el, status, bar, barBg });
  }

  return {
    el: root,
    update(views) {
      for (const [id, d] of drawn) {
        const view = views.get(id);
        // A body node stands for all items: it shows its map's state.
        const slash = id.indexOf('/');
        const status = view?.status ?? (slash > 0 ? views.get(id.slice(0, slash))?.status : undefined) ?? 'pending';
        const selected = d.g.classList.contains('selected');
        d.g.setAttribute('class', `node status-${status}${selected ? ' selected' : ''}`);
        d.g.dataset.status = status;
        const p = view?.progress;
        d.status.textContent = p ? `${status} · ${p.succeeded + p.failed}/${p.total}` : view && view.attempts > 1 ? `${status} · try ${view.attempts}` : status;
        const visible = p && p.total > 0 ? 'visible' : 'hidden';
        d.bar.setAttribute('visibility', visible);
        d.barBg.setAttribute('visibility', visible);
        if (p && p.total > 0) d.bar.setAttribute('width', String(((NODE_W - 28) * (p.succeeded + p.failed)) / p.total));
      }
    },
    select(nodeId) {
      for (const [id, d] of drawn) d.g.classList.toggle('selected', id === nodeId);
    },
  };
}
