// GET /readme – the README this deployment was built from, as plain text (the home page's "next steps").
import { readFile } from "node:fs/promises";
import path from "node:path";

export const dynamic = "force-static";

export async function GET() {
  const text = await readFile(path.join(process.cwd(), "README.md"), "utf8");
  return new Response(text, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
}
