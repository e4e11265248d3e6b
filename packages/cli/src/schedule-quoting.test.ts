import { describe, expect, it } from 'vitest';
import { assertOneLine, cronCommand, systemdExec, systemdValue } from './schedule-quoting.js';

describe('schedule --print quoting', () => {
  it('leaves plain words alone', () => {
    expect(cronCommand(['/usr/bin/tricopy', '--config', '/etc/tricopy.yaml'])).toBe(
      '/usr/bin/tricopy --config /etc/tricopy.yaml',
    );
    expect(systemdExec(['/usr/bin/tricopy', '--config', '/etc/tricopy.yaml'])).toBe(
      '/usr/bin/tricopy --config /etc/tricopy.yaml',
    );
  });

  it('cron: each % outside the quotes as \\%, a lone % and an empty word too', () => {
    expect(cronCommand(["it's 50%", '%', '', 'a\\%b'])).toBe(`'it'\\''s 50'\\% \\% '' 'a\\'\\%'b'`);
  });

  it('systemd: % as %%, $ as $$ in arguments only, \\ and " escaped inside double quotes', () => {
    expect(systemdExec(['/opt/100% $x/tricopy', 'a "b" \\c $D 5%'])).toBe(
      '"/opt/100%% $x/tricopy" "a \\"b\\" \\\\c $$D 5%%"',
    );
  });

  it('refuses what cannot be written', () => {
    expect(() => assertOneLine('/a\nb', 'the config path')).toThrow(
      'the config path "/a\\nb" contains a newline or another control character',
    );
    expect(() => assertOneLine('/a\tb', 'the config path')).toThrow('control character');
    expect(() => systemdExec(["/opt/it's/tricopy"])).toThrow('which systemd refuses in an executable path');
    expect(() => systemdValue('/srv/x\\', 'the config folder')).toThrow('ends with a backslash');
    expect(() => systemdValue('/srv/x ', 'the config folder')).toThrow('starts or ends with a space');
  });
});
