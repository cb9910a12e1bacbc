/** Reading CLI inputs: JSON files (or `-` for stdin) with errors that name the file. */
import { readFile } from 'node:fs/promises';
import { UsageError, type CliIo } from './context';

/** Reads stdin whole. */
export async function readStdin(io: CliIo): Promise<string> {
  if (io.readStdin) return io.readStdin();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses JSON from a file (`-` = stdin). */
export async function readJson(io: CliIo, file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readStdin(io) : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/** Parses an inline JSON option value (`--data '{"a":1}'`). */
export function parseJsonOption(name: string, value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UsageError(`--${name} is not JSON: ${(error as Error).message}`);
  }
}

/** A positive integer option. */
export function intOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
  return n;
}
