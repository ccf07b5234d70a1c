import { eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewQuote, type Quote, quotes } from "../schema";

// The quotes table, derived by `conformance fix` from the Convex table `quotes`
// of convex/schema.ts.
// No Convex function names it in a ctx.db call.

/** What a caller may change: not the key or the timestamps. */
export type QuoteChanges = Partial<
  Omit<NewQuote, "id" | "createdAt" | "updatedAt">
>;

export class QuotesRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewQuote): Promise<Quote> {
    const [row] = await this.db.insert(quotes).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Quote | undefined> {
    const [row] = await this.db
      .select()
      .from(quotes)
      .where(eq(quotes.id, id))
      .limit(1);
    return row;
  }

  async update(id: string, changes: QuoteChanges): Promise<Quote | undefined> {
    const [row] = await this.db
      .update(quotes)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(quotes.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(quotes).where(eq(quotes.id, id));
  }
}
