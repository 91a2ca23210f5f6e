// Files the CLI writes (models, pictures, segmented text): the output path is checked before
// any training, and every write is atomic (a temporary file in the same directory, fsync,
// rename), so a failed write leaves the old file as it was and no temporary file behind.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { optionError } from '../errors.js';

const reason = (e: unknown) => ((e as NodeJS.ErrnoException).code ?? (e as Error).message ?? String(e)).toString();

/** Checks that `path` (given by `--flag`) can be written: it is not a directory or another
 * non-file, and its directory exists or can be created (created here, one level at a time:
 * Node's recursive mkdir loops forever under /proc) and takes a new file. Throws E_OPTION. */
export async function prepareOutput(flag: string, path: string): Promise<void> {
  const abs = resolve(path);
  const s = await stat(abs).catch(() => undefined);
  if (s?.isDirectory()) throw optionError(`--${flag} ${path} is a directory (give a file path)`);
  if (s && !s.isFile()) throw optionError(`--${flag} ${path} is not a regular file`);
  const dir = dirname(abs);
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const d = await stat(at).catch(() => undefined);
    if (d) {
      if (!d.isDirectory()) throw optionError(`--${flag} ${path}: ${at} is not a directory`);
      break;
    }
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const m of missing) {
    try {
      await mkdir(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw optionError(`--${flag} ${path}: cannot create directory ${m} (${reason(e)})`);
    }
  }
  const probe = join(dir, `.${basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}.probe`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (e) {
    throw optionError(`--${flag} ${path}: cannot write in ${dir} (${reason(e)})`);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

/** Scores a model that training has already saved at `path` (every training verb saves
 * before it scores): a failure keeps its error and code, and its message says where the
 * trained model is, so no training is lost to scoring. */
export async function scoreSaved<T>(path: string, score: () => T | Promise<T>): Promise<T> {
  try {
    return await score();
  } catch (e) {
    if (e instanceof Error) e.message = `${e.message} (scoring failed after training; the trained model is saved in ${path})`;
    throw e;
  }
}

/** Writes `data` to `path` atomically: a temporary file next to it, flushed to disk, then
 * renamed over `path`. On any failure the temporary file is removed and `path` is untouched. */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(tmp, 'wx');
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    const err = new Error(`cannot write ${path}: ${(e as Error).message.split('\n')[0]}`);
    (err as NodeJS.ErrnoException).code = (e as NodeJS.ErrnoException).code;
    throw err;
  }
}

/** The picture that goes next to a file: runs/mobydick.safetensors → runs/mobydick.svg. */
export function pictureBeside(path: string): string {
  const ext = extname(path);
  return `${ext ? path.slice(0, -ext.length) : path}.svg`;
}

/** Writes an SVG picture (atomically) and says where it went. */
export async function savePicture(path: string, svg: string, out: (s: string) => void): Promise<void> {
  await writeAtomic(path, svg);
  out(`picture: ${path}`);
}

/** The picture path from `--chart FILE` / `--no-chart` (false) / absent (next to `beside`). */
export function picturePath(flag: string | boolean | undefined, beside: string): string | undefined {
  if (flag === false) return undefined;
  return typeof flag === 'string' ? flag : pictureBeside(beside);
}
