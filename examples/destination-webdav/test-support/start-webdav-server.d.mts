export interface WebdavTestServer {
  readonly port: number;
  /** The folder the server serves. */
  readonly root: string;
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export function startWebdavServer(credentials: {
  username: string;
  password: string;
}): Promise<WebdavTestServer>;
