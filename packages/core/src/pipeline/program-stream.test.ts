import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { type FilterExit, filterProgram, ownFailureOf } from './program-stream.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const explain = (exit: FilterExit) =>
  new Error(`code ${exit.code} signal ${exit.signal} error ${exit.error?.message} stderr ${exit.stderr}`);
const sh = (script: string) => filterProgram('/bin/sh', ['-c', script], env, explain);

describe('filterProgram', () => {
  it('a stream destroyed while its output waits unread: the program ends, and that it was stopped is known', async () => {
    const stream = sh('yes');
    stream.on('error', () => {});
    // Nothing reads it: its output fills the pipe and Node pauses it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.destroy(new Error('the proof failed'));
    await expect(ownFailureOf(stream)).resolves.toBeUndefined();
  });

  it('a program that failed on its own before its stream was destroyed: its failure is known', async () => {
    const stream = sh('echo "disk on fire" >&2; exit 3');
    stream.on('error', () => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.destroy(new Error('the proof failed'));
    const failure = await ownFailureOf(stream);
    expect(failure?.message).toMatch(/code 3 .*stderr disk on fire/);
  });

  it('passes everything through a program that reads stdin to stdout', async () => {
    const input = Buffer.alloc(3 * 1024 * 1024, 'abc');
    const out = await buffer(Readable.from([input.subarray(0, 1000), input.subarray(1000)]).pipe(sh('cat')));
    expect(out.equals(input)).toBe(true);
  });

  it('fails, with its exit code and stderr, a program that prints part of its output and exits 1', async () => {
    const stream = sh('head -c 10; echo "disk on fire" >&2; exit 1');
    await expect(pipeline(Readable.from([Buffer.alloc(1024 * 1024)]), stream, sink())).rejects.toThrow(
      /code 1 .*stderr disk on fire/,
    );
  });

  it('fails a program that exits 0 before reading all its input', async () => {
    const stream = sh('head -c 10 >/dev/null');
    const input = Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024));
    await expect(pipeline(Readable.from(input), stream, sink())).rejects.toThrow(
      /code (0|null) .*(exited before reading all its input|EPIPE)/,
    );
  });

  it('fails a program that was killed by a signal, naming it', async () => {
    await expect(pipeline(Readable.from([Buffer.from('x')]), sh('kill -TERM $$'), sink())).rejects.toThrow(
      /signal SIGTERM/,
    );
  });

  it('fails, with the spawn error, a program that does not exist', async () => {
    const stream = filterProgram('/nonexistent/zstd', [], env, explain);
    await expect(pipeline(Readable.from([Buffer.from('x')]), stream, sink())).rejects.toThrow(/ENOENT/);
  });

  it('stops the program when the stream is destroyed', async () => {
    const stream = sh('echo $$; exec sleep 300');
    const pid = Number(String(await new Promise<Buffer>((resolve) => stream.once('data', resolve))).trim());
    expect(isRunning(pid)).toBe(true);
    stream.destroy();
    while (isRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isRunning(pid)).toBe(false);
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, callback) => callback() });
}
