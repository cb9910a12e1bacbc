/**
 * The run input editor: JSON text checked against the workflow's `inputSchema` with ajv as you type, each
 * problem named by its JSON pointer, and the Run button enabled only when the input is valid.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { h, replace } from '../dom';

/** An example input built from a JSON schema (required properties, with their first sensible value). */
export function exampleFor(schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: string; properties?: Record<string, unknown>; required?: string[]; enum?: unknown[]; default?: unknown; minimum?: number; minLength?: number; examples?: unknown[] };
  if (s.default !== undefined) return s.default;
  if (s.examples?.length) return s.examples[0];
  if (s.enum?.length) return s.enum[0];
  switch (s.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(s.properties ?? {})) out[key] = exampleFor(sub);
      return out;
    }
    case 'array': return [];
    case 'integer': case 'number': return s.minimum ?? 1;
    case 'boolean': return false;
    case 'string': return s.minLength ? 'example'.padEnd(s.minLength, 'x') : '';
    default: return {};
  }
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '/';
  const extra = error.keyword === 'required' ? ` (${String((error.params as { missingProperty?: string }).missingProperty)})` : '';
  return `${where}: ${error.message ?? 'is invalid'}${extra}`;
}

/** The editor; `onRun` gets the parsed, valid input. */
export function inputEditor(inputSchema: unknown, initial: unknown, onRun: (input: unknown) => Promise<void>): HTMLElement {
  let validate: ValidateFunction | undefined;
  const problems = h('ul', { class: 'problems', 'aria-live': 'polite' });
  try {
    validate = inputSchema ? new Ajv({ allErrors: true, strict: false }).compile(inputSchema as object) : undefined;
  } catch (error) {
    replace(problems, h('li', null, `inputSchema cannot be compiled: ${(error as Error).message}`));
  }
  const text = h('textarea', { class: 'mono input-json', rows: 6, spellcheck: 'false', 'aria-label': 'run input (JSON)' });
  text.value = JSON.stringify(initial ?? exampleFor(inputSchema), null, 2);
  const run = h('button', { class: 'primary run-button' }, 'Run');
  let parsed: unknown;
  const check = (): boolean => {
    const issues: string[] = [];
    try {
      parsed = JSON.parse(text.value || 'null');
      if (validate && !validate(parsed)) issues.push(...(validate.errors ?? []).map(describe));
    } catch (error) {
      issues.push(`not JSON: ${(error as Error).message}`);
    }
    replace(problems, issues.map((i) => h('li', null, i)));
    text.classList.toggle('invalid', issues.length > 0);
    run.disabled = issues.length > 0;
    return issues.length === 0;
  };
  text.addEventListener('input', check);
  run.addEventListener('click', async () => {
    if (!check()) return;
    run.disabled = true;
    try {
      await onRun(parsed);
    } finally {
      run.disabled = false;
    }
  });
  check();
  return h('div', { class: 'input-editor' }, h('label', { class: 'small muted' }, 'Input', validate ? ' (checked against inputSchema)' : ''), text, problems, h('div', { class: 'row' }, run));
}
