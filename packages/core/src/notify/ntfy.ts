import type { NotifyTarget } from '../config/schema.js';
import type { HttpPost } from './http.js';

/** success, degraded or failure (as `on` lists them). */
type NotifyEvent = NotifyTarget['on'][number];
type Ntfy = Extract<NotifyTarget, { type: 'ntfy' }>;

/** ntfy priorities (1 min … 5 max) and tags (shown as emoji) by event. */
const LOOK: Record<NotifyEvent, { priority: string; tags: string }> = {
  success: { priority: '2', tags: 'white_check_mark' },
  degraded: { priority: '4', tags: 'warning' },
  failure: { priority: '5', tags: 'rotating_light' },
};

/** A message published to the topic URL (`https://ntfy.sh/TOPIC`): the text as body, title and look in headers. */
export function ntfyPost(target: Ntfy, event: NotifyEvent, text: string): HttpPost {
  return {
    url: target.url,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      title: `tricopy: ${event}`,
      priority: LOOK[event].priority,
      tags: LOOK[event].tags,
      ...(target.token === undefined ? {} : { authorization: `Bearer ${target.token}` }),
    },
    body: text,
  };
}
