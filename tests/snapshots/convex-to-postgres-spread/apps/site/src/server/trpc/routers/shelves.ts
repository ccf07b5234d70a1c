import { ShelvesRepository } from "@shelf/database/repositories/shelves";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";

// The caller's shelves rows, by `conformance fix` from the Convex table `shelves`
// of convex/schema.ts. Each procedure runs as the caller (row-level security) and checks
// the owner itself too, for connections that bypass the policies.
// The Convex functions it replaces, whose logic moves into these procedures:
//   shelves.mine: public query (convex/shelves.ts:5)

/** What a caller gives for a new row; `userId` is the caller. */
const shelvesInput = z.object({
  label: z.string(),
  position: z.object({ row: z.number(), slot: z.number() }),
  tags: z.array(z.string()),
});

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Shelve not found" });

export const shelvesRouter = router({
  list: protectedProcedure.query(({ ctx }) =>
    new ShelvesRepository(ctx.db).listByUserId(ctx.userId),
  ),

  get: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .query(async ({ ctx, input }) => {
      const row = await new ShelvesRepository(ctx.db).getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return row;
    }),

  create: protectedProcedure
    .input(shelvesInput)
    .mutation(({ ctx, input }) =>
      new ShelvesRepository(ctx.db).create({ ...input, userId: ctx.userId }),
    ),

  update: protectedProcedure
    .input(shelvesInput.partial().extend({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new ShelvesRepository(ctx.db);
      const { id, ...changes } = input;
      const row = await repository.getById(id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return repository.update(id, changes);
    }),

  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new ShelvesRepository(ctx.db);
      const row = await repository.getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      await repository.delete(input.id);
      return { id: input.id };
    }),
});
