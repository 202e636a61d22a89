// Secret names and sizes (SPEC §2); free of server-only so pages and validators can share them.
export const SECRET_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
export const MAX_SECRET_BYTES = 16 * 1024;
