import { describe, expect, it } from 'vitest';
import { describeUnset, interpolateEnv } from './interpolate.js';

describe('interpolateEnv', () => {
  it('replaces ${VAR} anywhere in strings, in nested objects and arrays', () => {
    const result = interpolateEnv(
      { a: 'x-${ONE}-y', list: ['${TWO}', 3, true], nested: { b: '${ONE}${TWO}' } },
      { ONE: '1', TWO: 'two' },
    );
    expect(result.problems).toEqual([]);
    expect(result.value).toEqual({ a: 'x-1-y', list: ['two', 3, true], nested: { b: '1two' } });
    expect([...result.fromEnv.keys()].sort()).toEqual(['a', 'list[0]', 'nested.b']);
  });

  it('keeps $$ as a literal dollar and leaves other text alone', () => {
    const result = interpolateEnv({ price: '$$5 and $HOME and $${' }, {});
    expect(result.value).toEqual({ price: '$5 and $HOME and ${' });
    expect(result.problems).toEqual([]);
  });

  it('reports every ${ form that is not a variable reference, never keeping it silently', () => {
    const result = interpolateEnv({ a: '${HOME:-x}', b: ['${ HOME }'], c: 'tail ${' }, { HOME: '/root' });
    expect(result.problems.map((p) => p.split(':')[0])).toEqual(['a', 'b[0]', 'c']);
    expect(result.problems[0]).toContain('"${HOME:-x}" is not a variable reference');
  });

  it('names the variable and the key of every unset variable', () => {
    const result = interpolateEnv(
      { jobs: { app: { source: { password: '${PGPASS_APP}' } } }, x: ['${NOPE}'] },
      {},
    );
    expect(result.unset.map(describeUnset)).toEqual([
      'jobs.app.source.password: environment variable PGPASS_APP is not set',
      'x[0]: environment variable NOPE is not set',
    ]);
  });
});
