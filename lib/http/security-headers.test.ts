import { describe, expect, it } from "vitest";
import { strictTransportSecurity } from "./security-headers";

describe("Strict-Transport-Security", () => {
  it("is sent for an https public URL and never for plain http", () => {
    expect(strictTransportSecurity("https://gatehouse.example.com")).toBe("max-age=31536000");
    expect(strictTransportSecurity("http://localhost:3000")).toBeNull();
    expect(strictTransportSecurity("http://127.0.0.1:3100")).toBeNull();
  });
});
