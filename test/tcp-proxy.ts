// A TCP proxy the tests can cut and restore, to make Postgres or Redis "unreachable" without touching
// the real servers. While closed, the port refuses connections and live connections are dropped.
import net from "node:net";

export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on("error", drop).on("close", drop);
        upstream.on("error", drop).on("close", drop);
        client.pipe(upstream).pipe(client);
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });

  await listen();
  return {
    get port() {
      return port;
    },
    /** Refuse new connections and cut existing ones. */
    async close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
    /** Accept connections again on the same port. */
    async open() {
      if (!server) await listen();
    },
  };
}

/**
 * Puts cuttable proxies in front of the test Postgres and Redis and points DATABASE_URL/REDIS_URL at them
 * (call before the code under test first creates its clients). `stop` also closes those clients.
 */
export async function proxyDependencies(stubEnv: (name: string, value: string) => unknown) {
  const dbUrl = new URL(process.env.DATABASE_URL!);
  const redisUrl = new URL(process.env.REDIS_URL!);
  const pg = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
  const redis = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  dbUrl.host = `127.0.0.1:${pg.port}`;
  redisUrl.host = `127.0.0.1:${redis.port}`;
  stubEnv("DATABASE_URL", dbUrl.toString());
  stubEnv("REDIS_URL", redisUrl.toString());
  return {
    pg,
    redis,
    async stop() {
      const { closeLazyClients } = await import("@/lib/lazy");
      await closeLazyClients();
      await pg.close();
      await redis.close();
    },
  };
}
