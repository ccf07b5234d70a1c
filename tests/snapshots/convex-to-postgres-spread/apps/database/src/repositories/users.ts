import { desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewUser, type User, users } from "../schema";

// The users table, derived by `conformance fix` from the Convex table `users`
// of convex/schema.ts.
// No Convex function names it in a ctx.db call.

/** What a caller may change: not the key or the timestamps. */
export type UserChanges = Partial<
  Omit<NewUser, "id" | "createdAt" | "updatedAt">
>;

export class UsersRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewUser): Promise<User> {
    const [row] = await this.db.insert(users).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<User | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(eq(users.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index email: newest first. */
  async listByEmail(
    email: NonNullable<User["email"]>,
  ): Promise<User[]> {
    return this.db
      .select()
      .from(users)
      .where(eq(users.email, email))
      .orderBy(desc(users.createdAt));
  }

  async update(id: string, changes: UserChanges): Promise<User | undefined> {
    const [row] = await this.db
      .update(users)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(users).where(eq(users.id, id));
  }
}
