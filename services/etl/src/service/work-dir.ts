import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
};

/**
 * This process's scratch folder under ETL_WORK_DIR (`run-<pid>-…`). Folders of processes that are
 * gone (killed mid-batch) are removed first; other live workers' folders are left alone.
 */
export async function claimWorkDir(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  for (const name of await readdir(root)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !alive(pid)) await rm(join(root, name), { recursive: true, force: true });
  }
  return mkdtemp(join(root, `run-${process.pid}-`));
}
