import { expect, it } from 'vitest';
import { catalogFolderName } from './wal-context.js';

it("two configs' jobs of one name keep their spools apart: the archiver folder is named after the catalog", () => {
  const one = catalogFolderName({ catalogPath: '/srv/a/catalog.db' });
  expect(catalogFolderName({ catalogPath: '/srv/b/catalog.db' })).not.toBe(one);
  expect(catalogFolderName({ catalogPath: '/srv/a/catalog.db' })).toBe(one);
});

it('a PostgreSQL catalog is named without its credentials', () => {
  const withPassword = catalogFolderName({
    catalogPath: '',
    catalogUrl: 'postgres://u:secret@db:5432/fleet',
  });
  expect(withPassword).toBe(
    catalogFolderName({ catalogPath: '', catalogUrl: 'postgres://u:other@db:5432/fleet' }),
  );
  expect(withPassword).not.toBe(
    catalogFolderName({ catalogPath: '', catalogUrl: 'postgres://u:secret@db:5432/x' }),
  );
});
