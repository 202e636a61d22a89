import { describe, expect, it } from "vitest";
import { CATALOG, endpointRules, isTemplateName, TEMPLATE_NAMES } from "./catalog";

const https = (u: string) => new URL(u).protocol === "https:";

describe("provider catalog", () => {
  it("has exactly the templates of SPEC §12, every endpoint https, and is frozen all the way down", () => {
    expect(Object.keys(CATALOG).sort()).toEqual([...TEMPLATE_NAMES].sort());
    for (const [name, t] of Object.entries(CATALOG)) {
      expect(Object.isFrozen(t), name).toBe(true);
      expect(Object.isFrozen(t.defaultScopes), name).toBe(true);
      expect(Object.isFrozen(t.account), name).toBe(true);
      const urls = [t.docs];
      if (t.kind === "oidc") urls.push(t.issuer);
      if (t.kind === "oauth2") urls.push(t.authorizationUrl, t.tokenUrl, ...(t.userinfoUrl ? [t.userinfoUrl] : []));
      if ("revocation" in t && t.revocation.url) urls.push(t.revocation.url);
      if (t.account.from === "graphql") urls.push(t.account.url);
      for (const u of urls) expect(https(u), `${name}: ${u}`).toBe(true);
      if ("revocation" in t && t.revocation.url === null) expect(t.revocation.note.length, name).toBeGreaterThan(10);
    }
    expect(() => {
      (CATALOG.github as { pkce: boolean }).pkce = false;
    }).toThrow(TypeError);
  });

  it("records what each provider documents", () => {
    expect(CATALOG.github).toMatchObject({ kind: "oauth2", tokenUrl: "https://github.com/login/oauth/access_token", pkce: true, account: { from: "userinfo", fields: ["login"] }, revocation: { url: null } });
    expect(CATALOG.google).toMatchObject({ kind: "oidc", issuer: "https://accounts.google.com", revocation: { url: "https://oauth2.googleapis.com/revoke" }, pkce: true });
    expect(CATALOG.slack).toMatchObject({ kind: "oidc", issuer: "https://slack.com", account: { from: "id_token", claims: ["email", "sub"] } });
    expect(CATALOG.linear).toMatchObject({ authorizationUrl: "https://linear.app/oauth/authorize", revocation: { url: null }, scopeSeparator: "," });
    expect(CATALOG.notion).toMatchObject({ pkce: false, tokenEndpointAuth: "client_secret_basic", authorizationParams: { owner: "user" } });
  });

  it("says which endpoint options each template needs", () => {
    expect(endpointRules("generic-oidc")).toEqual({ required: ["issuer"], optional: [] });
    expect(endpointRules("generic-oauth2")).toEqual({ required: ["authUrl", "tokenUrl"], optional: ["userinfoUrl", "revocationUrl"] });
    for (const name of ["github", "google", "slack", "linear", "notion"] as const) expect(endpointRules(name)).toEqual({ required: [], optional: [] });
    expect(isTemplateName("github")).toBe(true);
    expect(isTemplateName("toString")).toBe(false);
    expect(isTemplateName(undefined)).toBe(false);
  });
});
