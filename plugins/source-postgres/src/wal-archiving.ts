import type { PluginContext, RestorePointMark, WalArchiving } from '@tricopy/contract';
import type { ConnectionSettings } from './connection.js';
import type { PostgresOptions } from './options.js';
import { defaultSlotName, durationMs, isCompleteWalFile, isHistoryFile, segmentEndLsn } from './wal-names.js';
import { claimSpool, removeTornPartials, startReceiver } from './wal-receiver.js';
import { markRestorePoint } from './wal-restore-point.js';
import {
  advanceAckSlot,
  assertCanArchiveWal,
  prepareSlots,
  segmentBytes,
  systemIdentifier,
  type WalSlots,
  withClient,
} from './wal-slots.js';

/** A base-mode source's `wal`: pg_receivewal on a slot re-derived from the acknowledgement slot at each start. */
export class PostgresWalArchiving implements WalArchiving {
  readonly switchAfterMs?: number;
  readonly #slots: WalSlots;
  readonly #settings: () => Promise<ConnectionSettings>;
  readonly #context: PluginContext;
  #segmentBytes: number | undefined;

  constructor(options: PostgresOptions, context: PluginContext, settings: () => Promise<ConnectionSettings>) {
    const wal = typeof options.wal === 'object' ? options.wal : {};
    const ack = wal.slot ?? defaultSlotName(context.name);
    this.#slots = { ack, recv: `${ack}_recv` };
    this.#settings = settings;
    this.#context = context;
    if (wal.switchAfter !== undefined) this.switchAfterMs = durationMs(wal.switchAfter);
  }

  async receive(spool: string, options: { readonly signal: AbortSignal }) {
    const settings = await this.#settings();
    await withClient(settings, async (client) => {
      await assertCanArchiveWal(settings, client);
      this.#segmentBytes = await segmentBytes(client);
      await prepareSlots(settings, client, this.#slots);
    });
    await claimSpool(spool, await systemIdentifier(settings), this.#context.logger);
    await removeTornPartials(spool, this.#segmentBytes as number, this.#context.logger);
    return startReceiver(settings, this.#context.workDir, {
      spool,
      slot: this.#slots.recv,
      signal: options.signal,
    });
  }

  isComplete(name: string): boolean {
    return isCompleteWalFile(name);
  }

  compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  async acknowledge(name: string): Promise<void> {
    if (isHistoryFile(name)) return;
    const settings = await this.#settings();
    await withClient(settings, async (client) => {
      this.#segmentBytes ??= await segmentBytes(client);
      await advanceAckSlot(client, this.#slots.ack, segmentEndLsn(name, this.#segmentBytes));
    });
  }

  async switchSegment(): Promise<void> {
    await withClient(await this.#settings(), (client) => client.query('SELECT pg_catalog.pg_switch_wal()'));
  }

  async markRestorePoint(name: string): Promise<RestorePointMark> {
    return withClient(await this.#settings(), (client) => markRestorePoint(client, name));
  }
}
