import { describe, expect, it } from 'vitest';
import { isLoopback, parseListen, serveToken } from './listen-options.js';

describe('--listen and the serve token', () => {
  it('parses HOST:PORT, [IPv6]:PORT and :PORT, and refuses anything else', () => {
    expect(parseListen('127.0.0.1:9187')).toEqual({ host: '127.0.0.1', port: 9187 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9187')).toEqual({ host: '0.0.0.0', port: 9187 });
    for (const bad of ['9187', 'host', 'host:70000', '::1:9187', 'a:b'])
      expect(() => parseListen(bad), bad).toThrow(/expected HOST:PORT/);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.org', '1127.0.0.1'])
      expect(isLoopback(host), host).toBe(false);
  });

  it('needs a token off loopback only; the environment gives one', async () => {
    await expect(serveToken({ host: '127.0.0.1', port: 1 }, undefined, {})).resolves.toBeUndefined();
    await expect(serveToken({ host: '0.0.0.0', port: 1 }, undefined, {})).rejects.toThrow(/not a loopback/);
    await expect(
      serveToken({ host: '0.0.0.0', port: 1 }, undefined, { TRICOPY_SERVE_TOKEN: 't' }),
    ).resolves.toBe('t');
  });
});
