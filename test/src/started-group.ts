/** Servers started together: each tracked once it is up, so a failed start stops the ones that did start. */
export function startedGroup() {
  const started: { stop(): Promise<void> }[] = [];
  return {
    track<T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<T> {
      return starting.then((server) => {
        started.push(server);
        return server;
      });
    },
    async stopAll(): Promise<void> {
      await Promise.allSettled(started.map((s) => s.stop()));
    },
  };
}
