/** A schema with what dumps tend to get wrong (run with the database selected). */
export const TRICKY_SCHEMA = String.raw`
CREATE TABLE parent (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL UNIQUE
) ENGINE=InnoDB;
CREATE TABLE child (
  id INT AUTO_INCREMENT PRIMARY KEY,
  parent_id INT NOT NULL,
  note TEXT NULL,
  CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE
) ENGINE=InnoDB;
CREATE TABLE ${'`Mixed Case ``Täble`` ✓`'} (
  id INT AUTO_INCREMENT PRIMARY KEY,
  ${'`Ünïcödé Col`'} VARCHAR(200) CHARACTER SET utf8mb4,
  ${'`select`'} TEXT,
  mood ENUM('sad', 'ok', 'happy', 'ünïcode ✓'),
  flags SET('a', 'b', 'c'),
  payload LONGBLOB,
  big LONGTEXT,
  amount DECIMAL(20, 6),
  at DATETIME(3),
  doc JSON,
  bits BIT(9)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE empty_one (x INT);
CREATE TABLE ${'`数据`'} (${'`键`'} VARCHAR(20) PRIMARY KEY, ${'`值`'} TEXT) DEFAULT CHARSET=utf8mb4;
CREATE VIEW parent_summary AS
  SELECT p.name, COUNT(c.id) AS children FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.name;
CREATE TRIGGER child_touch BEFORE INSERT ON child FOR EACH ROW SET NEW.note = CONCAT(COALESCE(NEW.note, ''), '!');
CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
CREATE PROCEDURE count_parents(OUT n INT) READS SQL DATA SELECT COUNT(*) INTO n FROM parent;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM empty_one;

INSERT INTO parent (name) SELECT CONCAT('parent ', seq) FROM seq_1_to_50;
INSERT INTO child (parent_id, note) SELECT 1 + seq MOD 50, IF(seq MOD 7 = 0, NULL, CONCAT('n', seq)) FROM seq_1_to_500;
INSERT INTO ${'`Mixed Case ``Täble`` ✓`'}
  (${'`Ünïcödé Col`'}, ${'`select`'}, mood, flags, payload, big, amount, at, doc, bits)
SELECT CONCAT('zeile ', seq, ' 🚀 ñ 漢字'),
       IF(seq MOD 3 = 0, NULL, CONCAT('kw', seq, ');DROP TABLE x;--')),
       ELT(1 + seq MOD 4, 'sad', 'ok', 'happy', 'ünïcode ✓'),
       'a,c',
       IF(seq MOD 5 = 0, NULL, (SELECT GROUP_CONCAT(CHAR(b.seq) SEPARATOR '') FROM seq_0_to_255 b)),
       REPEAT(CONCAT('large text with ''quotes'', "dq", \\backslash\\, (parens), ; semicolons;', CHAR(10), 'tab', CHAR(9)), 2000 + seq),
       seq * 1.000001,
       TIMESTAMP('2026-01-01 00:00:00.123') + INTERVAL seq HOUR,
       JSON_OBJECT('i', seq, 'nested', JSON_ARRAY(1, 'two', NULL), 'q', '\'";()'),
       b'101010101'
  FROM seq_1_to_40;
INSERT INTO ${'`Mixed Case ``Täble`` ✓`'} (id) VALUES (1000);
INSERT INTO ${'`数据`'} VALUES ('一', 'eins'), ('二', NULL), ('Tab\tKey', 'line\nbreak'), ('', 'empty key'), ('(x),(y);', '''');
`;

/** About 4 MB of text: enough to fill pipes so an unread dump blocks the dump tool. */
export const NOISE_TABLE = `
CREATE TABLE noise (id INT PRIMARY KEY, blob_text LONGTEXT);
SET SESSION group_concat_max_len = 1 << 30;
INSERT INTO noise SELECT s.seq, (SELECT GROUP_CONCAT(MD5(RAND()) SEPARATOR '') FROM seq_1_to_4000) FROM seq_1_to_30 s;
`;
