import { desc, eq } from "drizzle-orm";
import type { Executor } from "../client";
import { type NewInvoice, type Invoice, invoices } from "../schema";

// The invoices table, derived by `conformance fix` from the Convex table `invoices`
// of convex/schema.ts.
// No Convex function names it in a ctx.db call.

/** What a caller may change: not the key, the owner or the timestamps. */
export type InvoiceChanges = Partial<
  Omit<NewInvoice, "id" | "userId" | "createdAt" | "updatedAt">
>;

export class InvoicesRepository {
  constructor(private readonly db: Executor) {}

  async create(data: NewInvoice): Promise<Invoice> {
    const [row] = await this.db.insert(invoices).values(data).returning();
    return row;
  }

  async getById(id: string): Promise<Invoice | undefined> {
    const [row] = await this.db
      .select()
      .from(invoices)
      .where(eq(invoices.id, id))
      .limit(1);
    return row;
  }

  /** The Convex index by_user: newest first. */
  async listByUserId(
    userId: NonNullable<Invoice["userId"]>,
  ): Promise<Invoice[]> {
    return this.db
      .select()
      .from(invoices)
      .where(eq(invoices.userId, userId))
      .orderBy(desc(invoices.createdAt));
  }

  async update(id: string, changes: InvoiceChanges): Promise<Invoice | undefined> {
    const [row] = await this.db
      .update(invoices)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(invoices.id, id))
      .returning();
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(invoices).where(eq(invoices.id, id));
  }
}
