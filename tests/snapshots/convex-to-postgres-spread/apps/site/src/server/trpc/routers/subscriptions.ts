import { SubscriptionsRepository } from "@shelf/database/repositories/subscriptions";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";

// The caller's subscriptions rows, by `conformance fix` from the Convex table `subscriptions`
// of convex/schema.ts. Each procedure runs as the caller (row-level security) and checks
// the owner itself too, for connections that bypass the policies.

/** What a caller gives for a new row; `userId` is the caller. */
const subscriptionsInput = z.object({
  plan: z.enum(["free", "pro"]),
  renewsAt: z.coerce.date(),
});

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Subscription not found" });

export const subscriptionsRouter = router({
  list: protectedProcedure.query(({ ctx }) =>
    new SubscriptionsRepository(ctx.db).listByUserId(ctx.userId),
  ),

  get: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .query(async ({ ctx, input }) => {
      const row = await new SubscriptionsRepository(ctx.db).getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return row;
    }),

  create: protectedProcedure
    .input(subscriptionsInput)
    .mutation(({ ctx, input }) =>
      new SubscriptionsRepository(ctx.db).create({ ...input, userId: ctx.userId }),
    ),

  update: protectedProcedure
    .input(subscriptionsInput.partial().extend({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new SubscriptionsRepository(ctx.db);
      const { id, ...changes } = input;
      const row = await repository.getById(id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return repository.update(id, changes);
    }),

  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new SubscriptionsRepository(ctx.db);
      const row = await repository.getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      await repository.delete(input.id);
      return { id: input.id };
    }),
});
