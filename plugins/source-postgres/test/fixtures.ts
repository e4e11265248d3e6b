/** A schema with what dumps tend to get wrong. */
export const TRICKY_SCHEMA = String.raw`
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ünïcode ✓');
CREATE SCHEMA "Weird Schema";
CREATE TABLE "Weird Schema"."MixedCase Table" (
  id serial PRIMARY KEY,
  "Ünïcödé Col" text,
  "select" text,
  feeling mood,
  payload bytea,
  big text,
  amount numeric(20, 6),
  at timestamptz,
  doc jsonb,
  tags int[]
);
CREATE TABLE parent (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text UNIQUE NOT NULL);
CREATE TABLE child (
  id serial PRIMARY KEY,
  parent_id bigint NOT NULL REFERENCES parent (id) ON DELETE CASCADE,
  note text
);
CREATE TABLE "数据" ("键" text PRIMARY KEY, "值" text);
CREATE SEQUENCE counter_seq START 100;
SELECT setval('counter_seq', 4242);
CREATE VIEW parent_summary AS
  SELECT p.name, count(c.id) AS children FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.name;
CREATE FUNCTION touch_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.note := coalesce(NEW.note, '') || '!'; RETURN NEW; END $$;
CREATE TRIGGER child_touch BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION touch_note();

INSERT INTO "Weird Schema"."MixedCase Table" ("Ünïcödé Col", "select", feeling, payload, big, amount, at, doc, tags)
SELECT 'zeile ' || i || ' 🚀 ñ 漢字',
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'kw' || i END,
       (ARRAY['sad', 'ok', 'happy', 'ünïcode ✓']::mood[])[1 + i % 4],
       CASE WHEN i % 5 = 0 THEN NULL ELSE (SELECT decode(string_agg(lpad(to_hex(b), 2, '0'), ''), 'hex') FROM generate_series(0, 255) b) END,
       repeat('large text with ''quotes'' and \backslashes\ and tabs	', 2000 + i),
       i * 1.000001,
       '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour',
       jsonb_build_object('i', i, 'nested', jsonb_build_array(1, 'two', NULL)),
       ARRAY[i, i + 1, NULL]
  FROM generate_series(1, 40) i;
INSERT INTO "Weird Schema"."MixedCase Table" (id) VALUES (1000);
INSERT INTO parent (name) SELECT 'parent ' || i FROM generate_series(1, 50) i;
INSERT INTO child (parent_id, note) SELECT 1 + i % 50, CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' || i END FROM generate_series(1, 500) i;
INSERT INTO "数据" VALUES ('一', 'eins'), ('二', NULL), ('Tab	Key', E'line\nbreak'), ('', 'empty key');
`;

/** About 4 MB of incompressible-ish text: enough to fill pipes so an unread dump blocks pg_dump. */
export const NOISE_TABLE = `
CREATE TABLE noise (id int PRIMARY KEY, blob text);
INSERT INTO noise SELECT i, (SELECT string_agg(md5(random()::text || i || j), '') FROM generate_series(1, 4000) j)
  FROM generate_series(1, 30) i;
`;
