// Back from the identity provider without a sign-in: a cancel is named as one, the pending state is dropped.
import { describe, expect, it } from "vitest";
import { GET } from "./route";

const get = (query: string, cookie?: string) =>
  GET(new Request(`http://localhost:3000/settings/identity-error${query}`, { headers: cookie ? { cookie } : {} }));

describe("GET /settings/identity-error", () => {
  it("after a cancel, says so and that the spent link is used up; clears the pending cookie", async () => {
    const res = await get("?error=Cancelled", "gh_pending=abc");
    expect(res.status).toBe(401);
    const page = await res.text();
    expect(page).toContain("<h1>You cancelled signing in</h1>");
    expect(page).toContain("now used up");
    expect(res.headers.getSetCookie()).toContain("gh_pending=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  });

  it("any other error keeps the generic sign-in failure page", async () => {
    for (const query of ["?error=OAuthCallbackError", "?error=Configuration", ""]) {
      const page = await (await get(query)).text();
      expect(page).toContain("<h1>Sign-in did not complete</h1>");
    }
  });
});
