/**
 * Checks a run's input against the workflow's `inputSchema` (JSON Schema, draft-07 with ajv; regular expressions on
 * RE2) and reports each problem as a JSON pointer under `/input`. Compiled validators are cached per workflow version.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError, type FieldIssue } from '../errors';
import { re2AjvRegExp } from '../expressions/re2-ajv';

// `pattern` and `patternProperties` run on RE2 (linear time): a schema cannot freeze a run start by backtracking.
const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: re2AjvRegExp } });
const validators = new Map<string, ValidateFunction>();

/** Throws a `ValidationError` naming every place where `input` breaks `schema`; no schema accepts anything. */
export function checkRunInput(cacheKey: string, schema: Record<string, unknown> | undefined, input: unknown): void {
  if (!schema) return;
  let validate = validators.get(cacheKey);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new ValidationError([{ code: 'invalid_input_schema', path: '/input', message: `the workflow's inputSchema does not compile: ${(error as Error).message}` }], { cause: error });
    }
    if (validators.size > 500) validators.clear();
    validators.set(cacheKey, validate);
  }
  if (validate(input)) return;
  throw new ValidationError((validate.errors ?? []).map(toIssue), { message: 'the input does not match the workflow inputSchema' });
}

function toIssue(error: ErrorObject): FieldIssue {
  let path = `/input${error.instancePath}`;
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required' && params.missingProperty !== undefined) path += `/${escape(params.missingProperty)}`;
  if (error.keyword === 'additionalProperties' && params.additionalProperty !== undefined) path += `/${escape(params.additionalProperty)}`;
  return { code: `schema_${error.keyword}`, path, message: error.message ?? `fails ${error.keyword}` };
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
