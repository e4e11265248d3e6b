import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';

/**
 * Why `text` is not an X25519 age recipient (`age1…`, as `age-keygen -y` prints it), or undefined when it is one.
 * Post-quantum, tag and plugin recipients (`age1pq1…`, `age1tag1…`, `age1NAME1…`) are refused (Debian's age 1.1
 * cannot decrypt them), and so are SSH keys (not supported yet).
 */
export function recipientProblem(text: string): string | undefined {
  if (text.startsWith('ssh-')) {
    return `${quote(text)} is an SSH key: tricopy encrypts to X25519 recipients only (age1…, made by age-keygen)`;
  }
  if (!text.startsWith('age1')) return `${quote(text)} is not an age recipient (an X25519 public key, age1…)`;
  if (bech32Prefix(text) !== 'age') {
    return `${quote(text)} is a post-quantum, tag or plugin recipient; use an X25519 recipient (age1…, from age-keygen) that every age can decrypt`;
  }
  try {
    new Encrypter().addRecipient(text);
    return undefined;
  } catch {
    return `${quote(text)} is not a valid age recipient (bad length or checksum)`;
  }
}

/**
 * A Bech32 string's human-readable prefix: everything before its last `1` (the data part has no `1`). An X25519
 * recipient's is `age`; post-quantum, tag and plugin recipients' are `age1pq`, `age1tag`, `age1NAME`. Their first
 * data characters may spell anything (an X25519 key can begin `age1pq…`), so only the prefix tells them apart.
 */
function bech32Prefix(text: string): string {
  return text.toLowerCase().slice(0, text.lastIndexOf('1'));
}

/** The lines of a recipients or identity file that hold keys: no blank lines, no `#` comments. */
export function keyLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The X25519 identities (`AGE-SECRET-KEY-1…`) of an identity file as `age-keygen` writes it. Throws a message that
 * never repeats the file's contents (the line number only).
 */
export function parseIdentities(text: string, where: string): string[] {
  const lines = keyLines(text);
  if (lines.length === 0) throw new Error(`${where} holds no age identity (AGE-SECRET-KEY-1…)`);
  lines.forEach((line, index) => {
    try {
      if (!line.startsWith('AGE-SECRET-KEY-1')) throw new Error('not an X25519 identity');
      new Decrypter().addIdentity(line);
    } catch {
      throw new Error(`${where}: key ${index + 1} is not an age X25519 identity (AGE-SECRET-KEY-1…)`);
    }
  });
  return lines;
}

/** The public recipients (`age1…`) of identities, to say which keys were tried. */
export async function recipientsOf(identities: readonly string[]): Promise<string[]> {
  return Promise.all(identities.map((identity) => identityToRecipient(identity)));
}

/** A new X25519 key pair, as `age-keygen` makes one. */
export async function generateKeyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
