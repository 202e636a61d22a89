// The standalone pages say what happened once (the heading) and what to do next (the body), never the heading twice.
import { describe, expect, it } from "vitest";
import { pages } from "./html";

const rendered: Array<[string, Response]> = [
  ["expired", pages.expired()],
  ["mismatch", pages.mismatch()],
  ["rateLimited", pages.rateLimited("30")],
  ["crossOrigin", pages.crossOrigin()],
  ["badRequest", pages.badRequest()],
  ["unavailable", pages.unavailable()],
  ["forbidden", pages.forbidden()],
  ["noSession", pages.noSession()],
  ["signInCancelled (link used)", pages.signInCancelled({ linkUsed: true })],
  ["signInCancelled (no link)", pages.signInCancelled({ linkUsed: false })],
  ["signInFailed", pages.signInFailed()],
  ["notFound", pages.notFound()],
  ["methodNotAllowed", pages.methodNotAllowed("GET, HEAD")],
  ["telegramMismatch", pages.telegramMismatch()],
  ["telegramUnverified", pages.telegramUnverified("Telegram's confirmation of who you are could not be verified.")],
  ["notAdmin", pages.notAdmin()],
  ["noAdminSession", pages.noAdminSession()],
];

describe("standalone pages", () => {
  it("cover every page", () => {
    expect(rendered.map(([name]) => name.split(" ")[0])).toEqual(expect.arrayContaining(Object.keys(pages)));
  });

  it.each(rendered)("%s does not repeat its title in its body", async (_name, res) => {
    const doc = await res.text();
    const title = /<h1>([^<]+)<\/h1>/.exec(doc)![1]!;
    const body = doc.slice(doc.indexOf("</h1>"));
    expect(body).not.toContain(title);
    expect(body.replace(/<[^>]+>/g, "").trim().length).toBeGreaterThan(20);
  });

  it("the cancelled page says the link is used up only when one was spent", async () => {
    expect(await pages.signInCancelled({ linkUsed: true }).text()).toContain("now used up");
    expect(await pages.signInCancelled({ linkUsed: false }).text()).not.toContain("used up");
  });
});
