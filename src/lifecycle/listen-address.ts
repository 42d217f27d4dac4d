import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes the URL the gateway listens on to `file`, for PORT=0 where only the process knows its port. Written to a
 * temporary name and renamed, so a reader polling for the file never sees it half written.
 */
export function writeListenAddress(file: string, url: string): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, `${url}\n`);
  renameSync(partial, file);
}
