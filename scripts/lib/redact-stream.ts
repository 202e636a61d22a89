// `next dev` prints every request line (`GET /settings?s=<link id> 200 in 40ms`) and errors with their URLs
// straight to its stdout; npm run dev passes that output through the log's value redaction, line by line.
import { Writable } from "node:stream";
import { redactString } from "../../lib/log";

const MAX_PENDING = 64 * 1024;

/** A writable that forwards complete lines to `out` with link ids, tokens and credentials redacted. */
export function redactingLines(out: NodeJS.WritableStream): Writable {
  let pending = "";
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += String(chunk);
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      if (pending.length > MAX_PENDING) {
        lines.push(pending);
        pending = "";
      }
      if (lines.length) out.write(lines.map((line) => `${redactString(line)}\n`).join(""));
      done();
    },
    final(done) {
      if (pending) out.write(redactString(pending));
      done();
    },
  });
}
