import { habitsRouter } from "./routers/habits";
import { checkinsRouter } from "./routers/checkins";
import { router } from "./trpc";

// One router per user-scoped table of the Convex schema, by `conformance fix`.
export const appRouter = router({
  habits: habitsRouter,
  checkins: checkinsRouter,
});

export type AppRouter = typeof appRouter;
