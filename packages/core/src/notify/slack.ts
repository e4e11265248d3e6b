import type { NotifyTarget } from '../config/schema.js';
import { type HttpPost, JSON_HEADERS } from './http.js';

type Slack = Extract<NotifyTarget, { type: 'slack' }>;

/**
 * An incoming-webhook message (Slack, Mattermost, Rocket.Chat, Zulip's Slack endpoint): `text` with `&`, `<` and `>`
 * escaped as Slack asks, so an error message can never turn into a mention or a link.
 */
export function slackPost(target: Slack, text: string): HttpPost {
  const escaped = text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return { url: target.url, headers: JSON_HEADERS, body: JSON.stringify({ text: escaped }) };
}
