import { XMLParser } from 'fast-xml-parser';

/** One entry of a PROPFIND answer. */
export interface DavEntry {
  /** Decoded absolute path on the server, without a trailing slash. */
  readonly path: string;
  readonly collection: boolean;
  readonly size?: number;
  readonly modifiedAt?: Date;
}

/** The properties tricopy asks for: a small request keeps listings of large folders cheap. */
export const PROPFIND_BODY =
  '<?xml version="1.0" encoding="utf-8"?>' +
  '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/></d:prop></d:propfind>';

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  isArray: (name) => name === 'response' || name === 'propstat',
});

type Node = Record<string, unknown>;

/** Parses a 207 Multi-Status answer. Servers choose their own namespace prefixes (D:, d:, lp1:), hence removeNSPrefix. */
export function parseMultistatus(xml: string, requestUrl: URL): DavEntry[] {
  const document = parser.parse(xml) as Node;
  const multistatus = document.multistatus as Node | undefined;
  if (multistatus === undefined) throw new Error('the answer to PROPFIND is not a DAV:multistatus document');
  const responses = (multistatus.response as Node[] | undefined) ?? [];
  return responses.flatMap((response) => {
    const href = response.href;
    if (typeof href !== 'string') return [];
    const found = ((response.propstat as Node[] | undefined) ?? []).find((propstat) =>
      / 200 /.test(String(propstat.status)),
    );
    const prop = (found?.prop ?? {}) as Node;
    const resourcetype = prop.resourcetype;
    const length = prop.getcontentlength;
    const modified = prop.getlastmodified;
    const entry: DavEntry = {
      path: decodePath(new URL(href, requestUrl).pathname),
      collection: typeof resourcetype === 'object' && resourcetype !== null && 'collection' in resourcetype,
      ...(length === undefined || length === '' ? {} : { size: Number(length) }),
      ...(typeof modified === 'string' && modified !== '' ? { modifiedAt: new Date(modified) } : {}),
    };
    return [entry];
  });
}

/** `/a%20b/c/` → `/a b/c` */
export function decodePath(pathname: string): string {
  const decoded = pathname
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
  return decoded.length > 1 && decoded.endsWith('/') ? decoded.slice(0, -1) : decoded;
}
