import { InvoicesRepository } from "@shelf/database/repositories/invoices";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";

// The caller's invoices rows, by `conformance fix` from the Convex table `invoices`
// of convex/schema.ts. Each procedure runs as the caller (row-level security) and checks
// the owner itself too, for connections that bypass the policies.

/** What a caller gives for a new row; `userId` is the caller. */
const invoicesInput = z.object({
  plan: z.enum(["free", "pro"]),
  amountCents: z.number(),
  paidAt: z.coerce.date().optional(),
});

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Invoice not found" });

export const invoicesRouter = router({
  list: protectedProcedure.query(({ ctx }) =>
    new InvoicesRepository(ctx.db).listByUserId(ctx.userId),
  ),

  get: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .query(async ({ ctx, input }) => {
      const row = await new InvoicesRepository(ctx.db).getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return row;
    }),

  create: protectedProcedure
    .input(invoicesInput)
    .mutation(({ ctx, input }) =>
      new InvoicesRepository(ctx.db).create({ ...input, userId: ctx.userId }),
    ),

  update: protectedProcedure
    .input(invoicesInput.partial().extend({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new InvoicesRepository(ctx.db);
      const { id, ...changes } = input;
      const row = await repository.getById(id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return repository.update(id, changes);
    }),

  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new InvoicesRepository(ctx.db);
      const row = await repository.getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      await repository.delete(input.id);
      return { id: input.id };
    }),
});
