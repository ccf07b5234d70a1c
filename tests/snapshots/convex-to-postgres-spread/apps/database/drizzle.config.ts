import { defineConfig } from "drizzle-kit";

// The drizzle-kit >= 0.21 shape: `dialect` and `dbCredentials.url` replace drizzle-kit 0.20's
// driver and connection-string keys. `drizzle-kit generate` writes the SQL migrations to `out`.
export default defineConfig({
  schema: "./src/schema.ts",
  out: "./drizzle/migrations",
  dialect: "postgresql",
  dbCredentials: {
    url: process.env.DATABASE_URL!,
  },
});
