export { mcpServerUrl, forgetMcpDiscovery } from "./discovery";
export { startMcpLogin, finishMcpLogin } from "./login";
export type { StartMcpLoginInput, FinishMcpLoginInput } from "./login";
export { CLIENT_METADATA_PREFIX, clientMetadataDigest, clientMetadataDocument, clientMetadataUrl, chooseRegistration } from "./registration";
export { McpTokenError, refreshMcpTokens, revokeMcpTokens } from "./tokens";
export type { RefreshMcpTokensInput, RefreshedMcpTokens, RevokeMcpTokensInput } from "./tokens";
export type { McpRefusal } from "./upstream";
export { mcpRefresher } from "./refresher";
