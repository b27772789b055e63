import { constants, type Stats } from "node:fs";
import { lstat, open, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { UserError } from "../errors.js";

/**
 * Reading the files a run is given (the config, the SP metadata it names)
 * without trusting them: only regular files, of bounded size, opened so that a
 * FIFO or a device can never block the run or feed it without end.
 */

/** Why a file was not read, in words a message can use after "the file X" (callers usually say which file). */
export class FileRefused extends UserError {
  override readonly name = "FileRefused";
}

/** "a FIFO", "a folder", … — what a non-regular file is. */
export function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return "a folder";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  if (stats.isSocket()) return "a socket";
  if (stats.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/** 2.0 MiB, 512 KiB, 800 bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

export class FileTooLarge extends FileRefused {
  constructor(readonly bytes: number) {
    super(`is ${formatBytes(bytes)}`);
  }
}

/**
 * The bytes of a regular file of at most `maxBytes`. Refuses (FileRefused)
 * anything else before opening it — a FIFO, a device, a folder — and checks
 * again on the open handle, which is opened non-blocking (opening a FIFO for
 * reading would otherwise wait for a writer forever). With `noFollow`, the
 * last path component may not be a symbolic link. Other errors (ENOENT,
 * EACCES) are thrown as they are.
 */
export async function readRegularFile(file: string, maxBytes: number, options: { noFollow?: boolean } = {}): Promise<Buffer> {
  const before = options.noFollow ? await lstat(file) : await stat(file);
  if (!before.isFile()) throw new FileRefused(`is not a regular file (it is ${kindOf(before)})`);
  if (before.size > maxBytes) throw new FileTooLarge(before.size);
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0) | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
  const handle = await open(file, flags);
  try {
    const opened = await handle.stat();
    // Replaced between the check and the open: check what was opened.
    if (!opened.isFile()) throw new FileRefused(`is not a regular file (it is ${kindOf(opened)})`);
    if (opened.size > maxBytes) throw new FileTooLarge(opened.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      // A file that grows while it is read is cut off at the limit, never read on.
      if (total > maxBytes) throw new FileTooLarge(total);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/**
 * The folder the files a config names must stay in: the git work tree that
 * holds the config (the nearest folder above it with a `.git` folder or file),
 * or, outside any work tree, the config's own folder. Symbolic links resolved.
 */
export async function configRoot(configFile: string): Promise<string> {
  const dir = await realpath(path.dirname(path.resolve(configFile)));
  for (let d = dir; ; d = path.dirname(d)) {
    const git = await lstat(path.join(d, ".git")).catch(() => undefined);
    if (git && (git.isDirectory() || git.isFile())) return d;
    if (path.dirname(d) === d) return dir;
  }
}

/** Whether `file` (resolved) lies inside the folder `root` (resolved). */
export function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== "" && !relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative);
}
