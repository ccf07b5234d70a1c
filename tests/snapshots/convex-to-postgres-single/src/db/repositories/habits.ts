import { desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewHabit, type Habit, habits } from "../schema";

// The habits table, derived by `conformance fix` from the Convex table `habits`
// of convex/schema.ts.
// The Convex functions that read or write it, whose logic moves onto these methods:
//   habits.mine: public query (convex/habits.ts:5)
//   habits.add: public mutation (convex/habits.ts:17)
//   habits.tick: public mutation (convex/habits.ts:26)

/** What a caller may change: not the key, the owner or the timestamps. */
export type HabitChanges = Partial<
  Omit<NewHabit, "id" | "userId" | "createdAt" | "updatedAt">
>;

export class HabitsRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewHabit): Promise<Habit> {
    const [row] = await this.db.insert(habits).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Habit | undefined> {
    const [row] = await this.db
      .select()
      .from(habits)
      .where(eq(habits.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index by_user: newest first. */
  async listByUserId(
    userId: NonNullable<Habit["userId"]>,
  ): Promise<Habit[]> {
    return this.db
      .select()
      .from(habits)
      .where(eq(habits.userId, userId))
      .orderBy(desc(habits.createdAt));
  }

  async update(id: string, changes: HabitChanges): Promise<Habit | undefined> {
    const [row] = await this.db
      .update(habits)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(habits.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(habits).where(eq(habits.id, id));
  }
}
