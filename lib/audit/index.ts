export { appendAuditEvent, type AuditActor, type AuditEventInput } from "./append";
export { verifyAudit, verifyAuditChain, type VerifyResult } from "./verify";
