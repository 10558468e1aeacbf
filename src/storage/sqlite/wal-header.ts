/**
 * "Has any connection committed since I last looked?", answered from the WAL-index headers of
 * the store's files, for the read cache's per-request freshness check (read-cache.ts).
 *
 * `PRAGMA data_version` answers it exactly, but each one opens and closes a read transaction,
 * taking and releasing a WAL read mark in `-shm` (two `fcntl` calls). Two of them (main file
 * and inbox) cost 4.3 µs a request in a quiet loop and more under load, about a tenth of a
 * cached list request. Every commit in WAL mode rewrites the WAL-index header at the start of the
 * `-shm` file (its change counter, frame count and checksums), and a commit is acknowledged
 * only after that; reading the two headers costs 1.7 µs. A header that has not changed since
 * the last check means no commit since, so the pragmas are skipped; one that changed (a commit,
 * a checkpoint resetting the WAL, or a read torn by a commit in progress) sends the caller to
 * the exact check.
 *
 * The header is read through the descriptor SQLite itself holds open on the `-shm` file,
 * found once in `/proc/self/fd`. Opening a descriptor of our own would be unsafe: SQLite locks
 * these files with POSIX locks, which belong to the process, and closing any descriptor of a
 * file drops all of the process's locks on it. SQLite keeps that descriptor open as long as a
 * connection of this process has the file open in WAL mode, so for the life of the store's
 * connection, which never leaves WAL mode nor detaches the inbox (either would close it, and
 * its number could then name another file). As a guard, a read that fails or does not look
 * like a WAL-index header (its version and "initialized" fields) counts as a change. Where the
 * descriptor cannot be found (no `/proc`, an in-memory database) there is no watch and every
 * check is exact.
 */
import { readlinkSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { endianness } from 'node:os';
import type { SqliteDb } from './database.js';

/** sizeof(WalIndexHdr): the first of the header's two copies, the one a writer updates last. */
const HEADER_BYTES = 48;
/** WalIndexHdr.iVersion (bytes 0-3, in the machine's byte order) and isInit (byte 12). */
const WAL_INDEX_VERSION = 3007000;
const IS_INIT_BYTE = 12;
const readVersion = endianness() === 'LE' ? (b: Buffer, at: number) => b.readUInt32LE(at) : (b: Buffer, at: number) => b.readUInt32BE(at);

export class WalHeaderWatch {
  private readonly seen: Buffer;
  private readonly next: Buffer;
  private settled = false;

  private constructor(
    private readonly db: SqliteDb,
    private readonly fds: readonly number[],
  ) {
    this.seen = Buffer.alloc(fds.length * HEADER_BYTES);
    this.next = Buffer.alloc(fds.length * HEADER_BYTES);
  }

  /**
   * A watch over every file attached to `db`, or null when one of them has no `-shm`
   * descriptor to read. Call after each file has been read in WAL mode (SQLite opens `-shm`
   * lazily).
   */
  static open(db: SqliteDb): WalHeaderWatch | null {
    const files = (db.pragma('database_list') as { name: string; file: string }[]).filter((d) => d.name !== 'temp').map((d) => d.file);
    if (files.length === 0 || files.some((f) => f === '')) return null;
    let open: Map<string, number>;
    try {
      open = shmDescriptors();
    } catch {
      return null;
    }
    const fds: number[] = [];
    for (const file of files) {
      let shm: string;
      try {
        shm = realpathSync(`${file}-shm`);
      } catch {
        return null;
      }
      const fd = open.get(shm);
      if (fd === undefined) return null;
      fds.push(fd);
    }
    return new WalHeaderWatch(db, fds);
  }

  /**
   * True when no header changed since the last `settle()`: nothing was committed since, by any
   * connection. False sends the caller to the exact check, after which it calls `settle()`.
   */
  unchanged(): boolean {
    // A closed connection no longer holds the descriptors (their numbers may be reused): the
    // caller's exact check then fails as any read would.
    if (!this.db.open) return false;
    for (let i = 0; i < this.fds.length; i++) {
      const at = i * HEADER_BYTES;
      try {
        if (readSync(this.fds[i]!, this.next, at, HEADER_BYTES, 0) !== HEADER_BYTES) return false;
      } catch {
        return false;
      }
      if (readVersion(this.next, at) !== WAL_INDEX_VERSION || this.next[at + IS_INIT_BYTE] !== 1) return false;
    }
    return this.settled && this.next.equals(this.seen);
  }

  /** The exact check that followed `unchanged()` went through: the headers it read are now the reference. */
  settle(): void {
    this.next.copy(this.seen);
    this.settled = true;
  }
}

/** Real path -> descriptor, for this process's open `-shm` files. */
function shmDescriptors(): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed since the listing (the listing's own descriptor, for one)
    }
    if (target.endsWith('-shm') && !out.has(target)) out.set(target, Number(name));
  }
  return out;
}
