import type { NotifyTarget } from '../config/schema.js';
import { type HttpPost, JSON_HEADERS } from './http.js';

type Discord = Extract<NotifyTarget, { type: 'discord' }>;

/** Discord refuses a message `content` longer than this. */
const MAX_CONTENT = 2000;

/** A Discord webhook message: the text (cut to Discord's limit), mentioning nobody whatever the text says. */
export function discordPost(target: Discord, text: string): HttpPost {
  const chars = [...text];
  const content = chars.length <= MAX_CONTENT ? text : `${chars.slice(0, MAX_CONTENT - 1).join('')}…`;
  const message = { content, username: 'tricopy', allowed_mentions: { parse: [] } };
  return { url: target.url, headers: JSON_HEADERS, body: JSON.stringify(message) };
}
