/**
 * Renders a workflow definition as a Mermaid flowchart: one subgraph per execution level (nodes that run
 * together side by side), node shapes by type, condition edges labelled with their `when` value, and each `map`
 * node as a subgraph holding its body (edges into and out of the map attach to that subgraph).
 * Pure and deterministic.
 */
import type { NodeDef, WorkflowDefinition } from '../definition/schema';

/** Escapes text for a quoted Mermaid label. */
function label(text: string): string {
  return text.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\r?\n/g, ' ');
}

/** A Mermaid-safe id: node ids are `[A-Za-z_][A-Za-z0-9_]*`, prefixed so `end` and friends cannot clash. */
function mid(nodeId: string): string {
  return `n_${nodeId}`;
}

function shape(node: NodeDef): string {
  const text = `"${label(node.id)}<br/><small>${node.type}</small>"`;
  switch (node.type) {
    case 'condition':
      return `${mid(node.id)}{${text}}`;
    case 'human_gate':
      return `${mid(node.id)}{{${text}}}`;
    case 'tool_call':
      return `${mid(node.id)}[[${text}]]`;
    case 'workflow_call':
      // A parallelogram: the work happens in another workflow's run.
      return `${mid(node.id)}[/"${label(node.id)}<br/><small>workflow_call ${label(node.workflow.id)}${node.workflow.version !== undefined ? `@${node.workflow.version}` : ''}</small>"/]`;
    case 'parallel':
    case 'join':
      return `${mid(node.id)}((${text}))`;
    default:
      return `${mid(node.id)}[${text}]`;
  }
}

/**
 * Renders `definition` with `levels` (node ids per level, as the validator computes them) as subgraphs.
 * @example toMermaid(def, [['a'], ['b', 'c']]) // "flowchart TD\n  subgraph level_0[\"Level 0\"] …"
 */
export function toMermaid(definition: WorkflowDefinition, levels: readonly (readonly string[])[]): string {
  const byId = new Map(definition.nodes.map((n) => [n.id, n]));
  const placed = new Set<string>();
  const lines = ['flowchart TD'];
  levels.forEach((level, i) => {
    const members = level.filter((id) => byId.has(id) && !placed.has(id));
    if (members.length === 0) return;
    lines.push(`  subgraph level_${i}["Level ${i}"]`, '    direction LR');
    for (const id of members) {
      lines.push(...nodeLines(byId.get(id)!, '    '));
      placed.add(id);
    }
    lines.push('  end');
  });
  for (const node of definition.nodes) if (!placed.has(node.id)) lines.push(...nodeLines(node, '  '));
  lines.push(...edgeLines(definition.nodes, definition.edges));
  return `${lines.join('\n')}\n`;
}

/** A node's lines: its shape, or for a map a subgraph of its body (recursively). */
function nodeLines(node: NodeDef, indent: string): string[] {
  if (node.type !== 'map') return [`${indent}${shape(node)}`];
  const title = `${label(node.id)}<br/><small>map over ${label(node.items)}</small>`;
  const inner = indent + '  ';
  return [
    `${indent}subgraph ${mid(node.id)}["${title}"]`,
    `${inner}direction TB`,
    ...node.body.nodes.flatMap((n) => nodeLines(n, inner)),
    ...edgeLines(node.body.nodes, node.body.edges).map((l) => inner + l.trimStart()),
    `${indent}end`,
  ];
}

function edgeLines(nodes: readonly NodeDef[], edges: WorkflowDefinition['edges']): string[] {
  const ids = new Set(nodes.map((n) => n.id));
  const lines: string[] = [];
  for (const edge of edges) {
    if (!ids.has(edge.from) || !ids.has(edge.to)) continue;
    const tag = edge.default ? 'default' : edge.when !== undefined ? `when ${JSON.stringify(edge.when)}` : undefined;
    lines.push(tag === undefined ? `  ${mid(edge.from)} --> ${mid(edge.to)}` : `  ${mid(edge.from)} -- "${label(tag)}" --> ${mid(edge.to)}`);
  }
  return lines;
}
