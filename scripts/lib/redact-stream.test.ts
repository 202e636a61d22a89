// npm run dev's filter over `next dev` output: a link id never reaches the terminal, even split across chunks.
import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { redactingLines } from "./redact-stream";

async function through(chunks: string[]): Promise<string> {
  const out = new PassThrough();
  let printed = "";
  out.on("data", (c) => (printed += String(c)));
  const filter = redactingLines(out);
  for (const c of chunks) filter.write(c);
  await new Promise<void>((resolve) => filter.end(resolve));
  return printed;
}

describe("next dev output through redactingLines", () => {
  const linkId = randomBytes(32).toString("base64url");

  it("replaces the link id of Next's request log line, also when a chunk boundary splits it", async () => {
    const line = ` GET /settings?s=${linkId} 200 in 41ms (compile: 3ms, render: 38ms)\n`;
    for (const cut of [0, 10, 22, line.length - 5]) {
      const printed = await through([line.slice(0, cut), line.slice(cut), " GET /api/health 200 in 3ms\n"]);
      expect(printed).not.toContain(linkId);
      expect(printed).not.toContain(linkId.slice(0, 20));
      expect(printed).toBe(` GET /settings?s=[redacted] 200 in 41ms (compile: 3ms, render: 38ms)\n GET /api/health 200 in 3ms\n`);
    }
  });

  it("redacts ids in error output and tokens too, and flushes a last line without newline", async () => {
    const printed = await through([`⨯ Error: failed for https://gh.example/settings?x=1&s=${linkId}\n`, `Bearer gh_job_${linkId}`]);
    expect(printed).not.toContain(linkId);
    expect(printed).toContain("&s=[redacted]");
    expect(printed.endsWith("Bearer [redacted]")).toBe(true);
  });
});
