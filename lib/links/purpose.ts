// What a link is for (SPEC §7 "Links by purpose"), where it lands once opened, and the one rule of which purposes
// end each other: a new link for the same user and purpose ends their earlier unused ones.
import { isOutboundException } from "../outbound";

export const SETTINGS_SECTIONS = ["secrets", "connections", "agent-access"] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

export const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
export const MAX_MCP_SERVER_URL_LENGTH = 2048;

export type LinkPurpose =
  | { kind: "settings"; section?: SettingsSection }
  | { kind: "admin" }
  | { kind: "connect"; provider: string }
  | { kind: "mcp"; server: string };

/** The purpose as SPEC §7 names it: `settings`, `admin`, `connect:<provider>`, `mcp:<server>` (a section is not part of it). */
export function purposeName(p: LinkPurpose): string {
  switch (p.kind) {
    case "settings":
    case "admin":
      return p.kind;
    case "connect":
      return `connect:${p.provider}`;
    case "mcp":
      return `mcp:${p.server}`;
  }
}

/** Parses what purposeName wrote (and a section kept beside it); anything else is null, never a default. */
export function parsePurpose(name: unknown, section?: unknown): LinkPurpose | null {
  if (typeof name !== "string") return null;
  if (name === "settings") {
    if (section === undefined) return { kind: "settings" };
    return SETTINGS_SECTIONS.includes(section as SettingsSection) ? { kind: "settings", section: section as SettingsSection } : null;
  }
  if (section !== undefined) return null;
  if (name === "admin") return { kind: "admin" };
  if (name.startsWith("connect:")) {
    const provider = name.slice("connect:".length);
    return PROVIDER_ID_PATTERN.test(provider) ? { kind: "connect", provider } : null;
  }
  if (name.startsWith("mcp:")) {
    const server = name.slice("mcp:".length);
    return isMcpServerUrl(server) ? { kind: "mcp", server } : null;
  }
  return null;
}

/** An absolute https URL without credentials or fragment, in its canonical form (http only for a GATEHOUSE_OUTBOUND_ALLOW host:port, a local test server). */
export function isMcpServerUrl(value: string): boolean {
  return canonicalMcpServerUrl(value) === value;
}

export function canonicalMcpServerUrl(value: string): string | null {
  if (value.length > MAX_MCP_SERVER_URL_LENGTH || !URL.canParse(value)) return null;
  const url = new URL(value);
  const scheme = url.protocol === "https:" || (url.protocol === "http:" && isOutboundException(url));
  if (!scheme || url.username || url.password || url.hash || !url.hostname) return null;
  // The canonical form is what is stored and compared: percent-encoding can make it far longer than the input.
  const canonical = url.toString();
  return canonical.length <= MAX_MCP_SERVER_URL_LENGTH ? canonical : null;
}

/** Where the browser goes once the link is open. Connect and MCP land on the Connections page, which starts them. */
export function landingPath(p: LinkPurpose): string {
  switch (p.kind) {
    case "settings":
      return p.section ? `/settings/${p.section}` : "/settings";
    case "admin":
      return "/admin";
    case "connect":
      return `/settings/connections?${new URLSearchParams({ connect: p.provider })}`;
    case "mcp":
      return `/settings/connections?${new URLSearchParams({ mcp: p.server })}`;
  }
}
