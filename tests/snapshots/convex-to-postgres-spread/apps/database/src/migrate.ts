import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import { getDb, getPool } from "./client";

// Applies the migrations `drizzle-kit generate` wrote (those listed in meta/_journal.json).
const migrationsFolder = fileURLToPath(new URL("../drizzle/migrations", import.meta.url));

async function main(): Promise<void> {
  try {
    await migrate(getDb(), { migrationsFolder });
  } finally {
    await getPool().end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
