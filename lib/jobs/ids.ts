import { isUuid } from "../db/sql";

export function isJobId(value: unknown): value is string {
  return isUuid(value);
}
