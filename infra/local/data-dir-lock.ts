/**
 * One local stack per data folder. Two processes on the same `.braid/` would share its LevelDB files: the second
 * one's dynalite cannot open them (LevelDB's own lock), and reported it only as "Database is closed" on its first
 * request, then a crash. The stack takes `<dataDir>/braid.pid` first (created exclusively, holding its pid) and
 * refuses to start while a live process holds it; a file left by a process that died (its pid no longer exists)
 * is taken over. `release()` deletes it when the stack closes.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BraidError } from '../../shared/errors';

/** Another live process holds the data folder. */
export class DataDirInUseError extends BraidError {
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    super('data_dir_in_use', `the data folder ${dataDir} is in use by process ${pid} (another \`npm run dev\`?): stop it, or choose another BRAID_DATA_DIR`);
    this.name = 'DataDirInUseError';
    this.pid = pid;
  }
}

/** A held data folder. */
export interface DataDirLock {
  release(): Promise<void>;
}

const FILE = 'braid.pid';

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data folder for this process, or throws `DataDirInUseError`. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, FILE);
  /** The pid in the file (`NaN` when it is gone or unreadable). */
  const holder = async () => Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
  // Two tries: the second after removing a file whose process has died.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = await holder();
    // This process (another stack of it) or a live one holds it.
    if (pid === process.pid || (pid > 0 && alive(pid))) throw new DataDirInUseError(dataDir, pid);
    await rm(file, { force: true });
  }
  // Another process took it between our removal of a dead process's file and our try: it holds it now.
  throw new DataDirInUseError(dataDir, await holder());
}
