// The 500 pages as the browser gets them: what happened, what to do next, a reference for the log, and never the
// error's own message (which may carry values).
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import PageError from "./error";
import GlobalError from "./global-error";

const error = Object.assign(new Error("Invalid `prisma.secret.findMany()` invocation: SUPERSECRETVALUE"), { digest: "1234567890" });

describe.each([
  ["app/error.tsx", PageError],
  ["app/global-error.tsx", GlobalError],
])("%s", (_name, Page) => {
  const markup = renderToStaticMarkup(createElement(Page, { error, reset: () => undefined }));

  it("says what happened and what to do next, with a way to retry and a way home", () => {
    expect(markup).toContain("Something went wrong on our side");
    expect(markup).toContain("Try again in a moment");
    expect(markup).toMatch(/<button type="button"[^>]*>Try again<\/button>/);
    expect(markup).toContain('href="/"');
    expect(markup).toContain('role="alert"');
  });

  it("shows Next's digest as the reference and none of the error's message", () => {
    expect(markup).toContain("Reference: 1234567890");
    expect(markup).not.toContain("SUPERSECRETVALUE");
    expect(markup).not.toContain("prisma");
  });
});
