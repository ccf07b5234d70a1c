import { and, desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewSubscription, type Subscription, subscriptions } from "../schema";

// The subscriptions table, derived by `conformance fix` from the Convex table `subscriptions`
// of convex/schema.ts.
// No Convex function names it in a ctx.db call.

/** What a caller may change: not the key, the owner or the timestamps. */
export type SubscriptionChanges = Partial<
  Omit<NewSubscription, "id" | "userId" | "createdAt" | "updatedAt">
>;

export class SubscriptionsRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewSubscription): Promise<Subscription> {
    const [row] = await this.db.insert(subscriptions).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Subscription | undefined> {
    const [row] = await this.db
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index by_user: newest first. */
  async listByUserId(
    userId: NonNullable<Subscription["userId"]>,
  ): Promise<Subscription[]> {
    return this.db
      .select()
      .from(subscriptions)
      .where(eq(subscriptions.userId, userId))
      .orderBy(desc(subscriptions.createdAt));
  }

  /** The Convex index by_user_and_plan: newest first. */
  async listByUserIdAndPlan(
    userId: NonNullable<Subscription["userId"]>,
    plan: NonNullable<Subscription["plan"]>,
  ): Promise<Subscription[]> {
    return this.db
      .select()
      .from(subscriptions)
      .where(
        and(
          eq(subscriptions.userId, userId),
          eq(subscriptions.plan, plan),
        ),
      )
      .orderBy(desc(subscriptions.createdAt));
  }

  async update(id: string, changes: SubscriptionChanges): Promise<Subscription | undefined> {
    const [row] = await this.db
      .update(subscriptions)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(subscriptions.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(subscriptions).where(eq(subscriptions.id, id));
  }
}
