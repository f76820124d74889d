// Better Auth as a user would run it for the comparison: email and password on, default session
// settings, PostgreSQL through `pg`, served by Node's http module through Better Auth's own
// `toNodeHandler`. Rate limiting is off, because sessiond's token checks have none either.
//
//   node server.mjs migrate    create Better Auth's tables with its own migration API
//   node server.mjs serve      listen on 127.0.0.1:$PORT
//
// Settings come from DATABASE_URL, PORT and BETTER_AUTH_SECRET. bench/betterauth.py copies this
// file next to the node_modules it installs, so the imports below resolve there.
import http from "node:http";
import pg from "pg";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";

const port = Number(process.env.PORT);
const baseURL = `http://127.0.0.1:${port}`;
const auth = betterAuth({
  baseURL,
  secret: process.env.BETTER_AUTH_SECRET,
  database: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  trustedOrigins: [baseURL],
});

if (process.argv[2] === "migrate") {
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  process.exit(0);
}

const handler = toNodeHandler(auth);
const server = http.createServer((request, response) => {
  if (request.url === "/ok") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"status":"ok"}');
    return;
  }
  handler(request, response);
});
server.listen(port, "127.0.0.1");
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
