/**
 * One local stack per data folder: a second stack (another `npm run dev`) on a folder in use is refused with a
 * clear error instead of crashing on its first request; closing frees the folder; a dead process's file is taken over.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir } from '../../infra/local/data-dir-lock';
import { createLocalStack } from '../../infra/local/stack';

describe('the data folder lock', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'braid-lock-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('refuses a second stack on a folder in use, and lets one start once the first has closed', async () => {
    // Prepare
    const first = await createLocalStack({ dataDir: dir, live: false, logLevel: 'SILENT' });
    let second: Awaited<ReturnType<typeof createLocalStack>> | undefined;
    try {
      // Act and assess: refused with the holder's pid
      const refused = await createLocalStack({ dataDir: dir, live: false, logLevel: 'SILENT' }).then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(DataDirInUseError);
      expect(refused).toMatchObject({ code: 'data_dir_in_use', pid: process.pid });
      expect(await readFile(join(dir, 'braid.pid'), 'utf8')).toBe(`${process.pid}\n`);
    } finally {
      await first.close();
    }
    // The folder is free again: a restart finds it
    second = await createLocalStack({ dataDir: dir, live: false, logLevel: 'SILENT' });
    await second.close();
  });

  it('refuses a folder held by another live process and takes over one whose process has died', async () => {
    // Prepare: a live process's pid, then the pid of one that has exited
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'braid.pid'), `${sleeper.pid}\n`);
      // Act and assess
      await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'data_dir_in_use', pid: sleeper.pid });
    } finally {
      sleeper.kill();
      await new Promise((resolve) => sleeper.once('exit', resolve));
    }
    const lock = await lockDataDir(dir);
    expect(await readFile(join(dir, 'braid.pid'), 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
    await expect(readFile(join(dir, 'braid.pid'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
