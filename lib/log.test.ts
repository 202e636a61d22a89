import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./log";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(stream);
  logger.level = "info";
  return { logger, output: () => lines.join("") };
}

const TOKEN = `gh_job_${"Q".repeat(43)}`;
const LINK_ID = "Zx9_" + "k".repeat(39);
const SENTINELS = [TOKEN, LINK_ID, "hunter2", "SUPERSECRETVALUE", "s3cretpw", "AAEbotTokenPart"];

describe("log redaction", () => {
  it.each([
    ["an Error with a token in its message, no msg", (l: ReturnType<typeof capture>["logger"]) => l.error(new Error(`failed for ${TOKEN}`))],
    ["{err} with no message", (l) => l.error({ err: new Error(`bad ${TOKEN}`) })],
    ["child bindings", (l) => l.child({ token: TOKEN, user: "u" }).info("hi")],
    ["%o and %j arguments", (l) => l.info("values %o %j", { authorization: `Bearer ${TOKEN}` }, { value: "hunter2" })],
    ["a connection string with a password", (l) => l.warn({ url: "postgresql://app:s3cretpw@db:5432/x" }, "pg")],
    ["a Telegram bot URL", (l) => l.warn("GET https://api.telegram.org/bot123456:AAEbotTokenPart/sendMessage failed")],
    ["a settings link in a message", (l) => l.info(`opening https://gh.example/settings?s=${LINK_ID}`)],
    ["an opaque id under an innocent key", (l) => l.info({ note: LINK_ID }, "x")],
    ["credential keys", (l) => l.info({ sessionId: "abc", linkId: "abc", code_verifier: "abc", masterKeys: "abc", secret: "SUPERSECRETVALUE", plaintext: { value: "SUPERSECRETVALUE" } })],
    [
      "a Prisma validation error echoing query arguments",
      (l) => {
        const err = new Error("Invalid `prisma.secret.create()` invocation:\n{\n  data: { plaintext: \"SUPERSECRETVALUE\" }\n}\nUnknown argument `plaintext`.");
        err.name = "PrismaClientValidationError";
        l.error({ err }, "unhandled error");
      },
    ],
  ] as Array<[string, (l: ReturnType<typeof capture>["logger"]) => void]>)("redacts %s", (_name, write) => {
    const { logger, output } = capture();
    write(logger);
    const out = output();
    expect(out.length).toBeGreaterThan(0);
    for (const s of SENTINELS) expect(out).not.toContain(s);
  });

  it("keeps what is useful: error type, code and the verdict of a validation error", () => {
    const { logger, output } = capture();
    const err = Object.assign(new Error("duplicate"), { code: "P2002" });
    logger.error({ err, at: new Date(0) }, "failed");
    const line = JSON.parse(output());
    expect(line.err).toMatchObject({ type: "Error", message: "duplicate", code: "P2002" });
    expect(line.at).toBe("1970-01-01T00:00:00.000Z");
  });
});

/* eslint-disable no-console -- these tests call console the way Next does, to prove it is redacted. */
describe("console output of the framework", () => {
  it("goes through the redaction: an uncaught Prisma error with its arguments prints neither values nor tokens", async () => {
    const { routeConsoleThroughLog } = await import("./log");
    const { logger, output } = capture();
    const original = { error: console.error, warn: console.warn };
    try {
      routeConsoleThroughLog(logger);
      const prismaError = Object.assign(
        new Error(`\nInvalid \`prisma.auditEvent.findMany()\` invocation:\n{\n  where: { seq: { lt: 2147483648 }, note: "SUPERSECRETVALUE" }\n}\n\nValue out of range for the type: ${TOKEN}`),
        { name: "PrismaClientKnownRequestError", code: "P2020" },
      );
      console.error(prismaError);
      console.error("⨯ Error in route /settings?s=%s", LINK_ID, { authorization: `Bearer ${TOKEN}` });
      console.warn(new Error(`lookup failed for ${LINK_ID}`));
    } finally {
      console.error = original.error;
      console.warn = original.warn;
    }
    const lines = output().trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0].err).toMatchObject({ type: "PrismaClientKnownRequestError", code: "P2020", message: "Value out of range for the type: [redacted]" });
    expect(lines[0].err.stack).toMatch(/^PrismaClientKnownRequestError: Value out of range/);
    const out = output();
    for (const s of [...SENTINELS, "2147483648"]) expect(out).not.toContain(s);
  });

  it("redacts before it cuts, survives what JSON cannot print, keeps every error and Next's digest", async () => {
    const { routeConsoleThroughLog } = await import("./log");
    const { logger, output } = capture();
    const original = { error: console.error, warn: console.warn };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    try {
      routeConsoleThroughLog(logger);
      // The id sits across the 2,000-character cut: redacted first, it cannot survive as a shorter fragment.
      console.error(`${"x".repeat(1980)} s=${LINK_ID}`);
      console.error("big", 10n, cyclic);
      console.error(new Error("first"), Object.assign(new Error(`second ${TOKEN}`), { digest: "1234567890" }));
    } finally {
      console.error = original.error;
      console.warn = original.warn;
    }
    const out = output();
    for (const s of [LINK_ID, LINK_ID.slice(0, 15), TOKEN]) expect(out).not.toContain(s);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[2].err.message).toBe("first");
    expect(lines[2].more[0]).toMatchObject({ digest: "1234567890", message: "second [redacted]" });
  });

  it("keeps the stack's frames but never its first line's raw message", () => {
    const { logger, output } = capture();
    logger.error({ err: new Error(`boom ${TOKEN}`) }, "x");
    const { err } = JSON.parse(output());
    expect(err.stack).toMatch(/^Error: boom \[redacted\]\n\s+at /);
    expect(err.stack).not.toContain(TOKEN);
  });
});
