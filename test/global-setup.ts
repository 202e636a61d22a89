// A fresh test database for every run: tests never depend on leftovers.
import { recreateTestDatabase } from "../scripts/lib/migrate";
import { TEST_DATABASE_URL } from "../vitest.config";

export default async function setup() {
  await recreateTestDatabase(TEST_DATABASE_URL);
}
