import { notesRouter } from "./routers/notes";
import { router } from "./trpc";

// One router per user-scoped table of the Convex schema, by `conformance fix`.
export const appRouter = router({
  notes: notesRouter,
});

export type AppRouter = typeof appRouter;
