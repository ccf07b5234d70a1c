import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { Pool } from "pg";
import * as schema from "./schema";

// One pool per process, created on first use: importing this module connects to nothing.
let pool: Pool | null = null;

export function getPool(): Pool {
  if (!pool) {
    pool = new Pool({
      connectionString: process.env.DATABASE_URL,
      max: 20,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 2_000,
    });
  }
  return pool;
}

export function getDb() {
  return drizzle(getPool(), { schema });
}

export type Database = ReturnType<typeof getDb>;
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
/** What the repositories run on: the database, or a transaction (see withUserContext). */
export type Executor = Database | Transaction;

/**
 * Runs `fn` in a transaction whose row-level-security user is `userId`.
 *
 * set_config(name, value, true) lasts until the transaction ends, on the connection the
 * transaction holds, so every query `fn` makes through `tx` sees the same user. The user id is
 * a bound parameter: SET cannot take one, and splicing it into the SQL text would let a crafted
 * id choose whose rows the policies show.
 */
export async function withUserContext<T>(
  db: Database,
  userId: string,
  fn: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('app.current_user_id', ${userId}, true)`);
    return fn(tx);
  });
}
