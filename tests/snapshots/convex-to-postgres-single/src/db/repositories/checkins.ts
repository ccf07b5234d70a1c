import { and, desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewCheckin, type Checkin, checkins } from "../schema";

// The checkins table, derived by `conformance fix` from the Convex table `checkins`
// of convex/schema.ts.
// The Convex functions that read or write it, whose logic moves onto these methods:
//   habits.tick: public mutation (convex/habits.ts:26)

/** What a caller may change: not the key, the owner or the timestamps. */
export type CheckinChanges = Partial<
  Omit<NewCheckin, "id" | "userId" | "createdAt" | "updatedAt">
>;

export class CheckinsRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewCheckin): Promise<Checkin> {
    const [row] = await this.db.insert(checkins).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Checkin | undefined> {
    const [row] = await this.db
      .select()
      .from(checkins)
      .where(eq(checkins.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index by_user: newest first. */
  async listByUserId(
    userId: NonNullable<Checkin["userId"]>,
  ): Promise<Checkin[]> {
    return this.db
      .select()
      .from(checkins)
      .where(eq(checkins.userId, userId))
      .orderBy(desc(checkins.createdAt));
  }

  /** The Convex index by_habit_day: newest first. */
  async listByHabitIdAndDay(
    habitId: NonNullable<Checkin["habitId"]>,
    day: NonNullable<Checkin["day"]>,
  ): Promise<Checkin[]> {
    return this.db
      .select()
      .from(checkins)
      .where(
        and(
          eq(checkins.habitId, habitId),
          eq(checkins.day, day),
        ),
      )
      .orderBy(desc(checkins.createdAt));
  }

  async update(id: string, changes: CheckinChanges): Promise<Checkin | undefined> {
    const [row] = await this.db
      .update(checkins)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(checkins.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(checkins).where(eq(checkins.id, id));
  }
}
