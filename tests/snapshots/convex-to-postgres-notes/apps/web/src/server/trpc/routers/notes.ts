import { NotesRepository } from "@notes/database/repositories/notes";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { protectedProcedure, router } from "../trpc";

// The caller's notes rows, by `conformance fix` from the Convex table `notes`
// of packages/backend/convex/schema.ts. Each procedure runs as the caller (row-level security) and checks
// the owner itself too, for connections that bypass the policies.
// The Convex functions it replaces, whose logic moves into these procedures:
//   notes.mine: public query (packages/backend/convex/notes.ts:9)
//   notes.byId: public query (packages/backend/convex/notes.ts:21)
//   notes.add: public mutation (packages/backend/convex/notes.ts:26)
//   notes.remove: public mutation (packages/backend/convex/notes.ts:35)
//   notes.saveSummary: internal mutation (packages/backend/convex/notes.ts:43)

/** What a caller gives for a new row; `userId` is the caller. */
const notesInput = z.object({
  title: z.string(),
  content: z.string(),
  summary: z.string().optional(),
});

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Note not found" });

export const notesRouter = router({
  list: protectedProcedure.query(({ ctx }) =>
    new NotesRepository(ctx.db).listByUserId(ctx.userId),
  ),

  get: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .query(async ({ ctx, input }) => {
      const row = await new NotesRepository(ctx.db).getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return row;
    }),

  create: protectedProcedure
    .input(notesInput)
    .mutation(({ ctx, input }) =>
      new NotesRepository(ctx.db).create({ ...input, userId: ctx.userId }),
    ),

  update: protectedProcedure
    .input(notesInput.partial().extend({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new NotesRepository(ctx.db);
      const { id, ...changes } = input;
      const row = await repository.getById(id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      return repository.update(id, changes);
    }),

  delete: protectedProcedure
    .input(z.object({ id: z.string().uuid() }))
    .mutation(async ({ ctx, input }) => {
      const repository = new NotesRepository(ctx.db);
      const row = await repository.getById(input.id);
      if (!row || row.userId !== ctx.userId) throw notFound();
      await repository.delete(input.id);
      return { id: input.id };
    }),
});
