"""The `prisma-to-convex` contract: exact findings on its three fixtures in both phases, the new
rule kinds (call-absent, exports-present, ts-present, env-var-present) on small trees, the
wrappers generated from the Convex functions, and the fix end to end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, init_git, write_tree
from convex_codegen import GENERATED, GENERATED_HEADER

from conformance.contract import load_rules
from conformance.engine import run
from conformance.model import Rule
from conformance.project import project_of
from conformance.project.convex import convex_modules
from conformance.repo import RepoView
from conformance.rules import KINDS
from conformance.translate.convex_operations import convex_operations_context
from conformance.workspace import Workspace

CONTRACT = "prisma-to-convex"
LIB = "apps/server/src/lib"
OPS = f"{LIB}/convex-operations.ts"
CLIENT = f"{LIB}/convex-client.ts"
CHAT = "apps/server/src/agent/chat.ts"
APP = "apps/server/src/app.ts"
SOCKET = "apps/server/src/socket.ts"
STATUS = "apps/server/src/utils/task-status.ts"
ACTION = "apps/frontend/lib/actions/create-task.ts"
CRITICAL = "p2c-critical-path-no-prisma"

# The critical path before the migration, as `conformance check` prints it. Not reported: the
# comments and strings naming prisma calls, `prismaLike.x()`, the test asserting prisma is gone,
# `tx.chatMessage.findFirst` on the transaction client, and the auth and service code.
BEFORE_CRITICAL = """\
apps/frontend/lib/actions/create-task.ts:18: p2c-critical-path-no-prisma createTask() calls prisma.task.create; use createTask() (api.tasks.create) instead
apps/frontend/lib/actions/create-task.ts:29: p2c-critical-path-no-prisma createTask() calls prisma.chatMessage.create; use appendMessage() (api.messages.append) instead
apps/server/src/agent/chat.ts:13: p2c-critical-path-no-prisma ChatService.getNextSequence() calls prisma.$transaction
apps/server/src/agent/chat.ts:24: p2c-critical-path-no-prisma ChatService.saveUserMessage() calls prisma.chatMessage.create; use appendMessage() (api.messages.append) instead
apps/server/src/agent/chat.ts:30: p2c-critical-path-no-prisma ChatService.finishAssistantMessage() calls prisma.chatMessage.update (as db.chatMessage.update); use updateMessage() (api.messages.update) instead
apps/server/src/agent/chat.ts:37: p2c-critical-path-no-prisma ChatService.saveTodos() calls prisma.todo.createMany; use bulkCreateTodos() (api.todos.bulkCreate) instead
apps/server/src/agent/chat.ts:45: p2c-critical-path-no-prisma ChatService.getChatHistory() calls prisma.chatMessage.findMany; use listMessages() (api.messages.byTask) instead
apps/server/src/app.ts:20: p2c-critical-path-no-prisma app.get("/api/tasks/:taskId") handler calls prisma.task.findUnique; use getTask() (api.tasks.get) instead
apps/server/src/app.ts:29: p2c-critical-path-no-prisma app.get("/api/tasks") handler calls prisma.task.findMany; use listTasks() (api.tasks.listByUser) instead
apps/server/src/app.ts:39: p2c-critical-path-no-prisma app.post("/api/tasks/:taskId/initiate") handler calls prisma.task.findUnique; use getTask() (api.tasks.get) instead
apps/server/src/app.ts:61: p2c-critical-path-no-prisma app.delete("/api/tasks/:taskId") handler calls prisma.$transaction
apps/server/src/app.ts:62: p2c-critical-path-no-prisma app.delete("/api/tasks/:taskId") handler calls prisma.chatMessage.deleteMany
apps/server/src/app.ts:63: p2c-critical-path-no-prisma app.delete("/api/tasks/:taskId") handler calls prisma.todo.deleteMany
apps/server/src/app.ts:64: p2c-critical-path-no-prisma app.delete("/api/tasks/:taskId") handler calls prisma.task.delete; use deleteTask() (api.tasks.remove) instead
apps/server/src/socket.ts:10: p2c-critical-path-no-prisma verifyTaskAccess() calls prisma.task.findUnique; use getTask() (api.tasks.get) instead
apps/server/src/socket.ts:16: p2c-critical-path-no-prisma handleJoin() calls prisma.chatMessage.findMany; use listMessages() (api.messages.byTask) instead
apps/server/src/socket.ts:40: p2c-critical-path-no-prisma socket.on("user-message") handler calls prisma.task.findUnique; use getTask() (api.tasks.get) instead
apps/server/src/socket.ts:53: p2c-critical-path-no-prisma socket.on("get-todos") handler calls prisma.todo.findMany; use listTodos() (api.todos.byTask) instead
apps/server/src/utils/task-status.ts:13: p2c-critical-path-no-prisma updateTaskStatus() calls prisma.task.update; use updateTask() (api.tasks.update) instead
apps/server/src/utils/task-status.ts:19: p2c-critical-path-no-prisma setInitStatus() calls prisma.task.update; use updateTask() (api.tasks.update) instead
apps/server/src/utils/task-status.ts:27: p2c-critical-path-no-prisma scheduleTaskCleanup() calls prisma.task.update; use updateTask() (api.tasks.update) instead
""".splitlines()
BEFORE_SETUP = f"""\
apps/server/.env.example: p2c-env-convex-url the server's env example must name the Convex deployment URL: CONVEX_URL is not declared
apps/server/package.json:9: p2c-server-convex-dependency the server must depend on convex: "convex" (not in dependencies)
{CLIENT}: p2c-convex-client the server's Convex client singleton is incomplete: {CLIENT} is missing
{CLIENT}: p2c-convex-client-export the Convex client module must export its accessor: {CLIENT} is missing
{OPS}: p2c-convex-operations the Convex operation wrappers are incomplete: {OPS} is missing
""".splitlines()
# What phases 3 (auth) and 4 (services) still have to move, once the critical path is done.
AFTER_COMPLETE = """\
apps/frontend/lib/auth/auth.ts:3: p2c-no-prisma-imports Prisma is still imported: `better-auth/adapters/prisma`
apps/frontend/lib/auth/get-user.ts:4: p2c-no-prisma-calls getUserSettings() calls prisma.userSettings.findUnique
apps/server/package.json:10: p2c-no-prisma-dependencies Prisma must be gone from every package: "@prisma/client" in dependencies
apps/server/src/github/auth/account-service.ts:5: p2c-no-prisma-calls getGitHubAccessToken() calls prisma.account.findFirst
apps/server/src/github/auth/account-service.ts:13: p2c-no-prisma-calls saveRefreshedTokens() calls prisma.account.update
apps/server/src/services/memory-service.ts:6: p2c-no-prisma-calls MemoryService.getMemoriesForRepo() calls prisma.memory.findMany
docker-compose.yml:2: p2c-no-postgres-service the Postgres compose service must be removed: service "db" (image postgres:16-alpine)
packages/db/package.json:11: p2c-no-prisma-dependencies Prisma must be gone from every package: "@prisma/client" in dependencies
packages/db/package.json:14: p2c-no-prisma-dependencies Prisma must be gone from every package: "prisma" in devDependencies
packages/db/prisma/migrations/: p2c-prisma-migrations-removed the Prisma migrations must be removed: packages/db/prisma/migrations/
packages/db/prisma/schema.prisma: p2c-prisma-schema-removed the Prisma schema must be removed: packages/db/prisma/schema.prisma
packages/db/src/client.ts:1: p2c-no-prisma-imports Prisma is still imported: `@prisma/client`
packages/db/src/client.ts:5: p2c-no-prisma-calls module scope constructs new PrismaClient(…)
packages/db/src/index.ts:2: p2c-no-prisma-imports Prisma is still imported: `@prisma/client`
packages/db/src/index.ts:3: p2c-no-prisma-imports Prisma is still imported: `@prisma/client`
""".splitlines()

EXPECTED = {
    ("prisma-to-convex-before", "critical-path"): BEFORE_CRITICAL + BEFORE_SETUP,
    ("prisma-to-convex-before", "complete"): BEFORE_CRITICAL + BEFORE_SETUP + AFTER_COMPLETE,
    ("prisma-to-convex-after", "critical-path"): [],
    ("prisma-to-convex-after", "complete"): AFTER_COMPLETE,
    ("prisma-to-convex-complete", "critical-path"): [],
    ("prisma-to-convex-complete", "complete"): [],
}


# Shadow's layout and critical path, as the fixtures' conformance.yaml names them.
SHADOW = {
    "server": "apps/server",
    "convex_dir": "convex",
    "critical_path": [
        "apps/frontend/lib/actions/create-task.ts",
        "apps/server/src/utils/task-status.ts",
        "apps/server/src/agent/chat.ts",
        "apps/server/src/socket.ts",
        "apps/server/src/app.ts",
    ],
}


def findings(root: Path, **parameters) -> list[str]:
    """`path:line: rule message`, sorted, as `conformance check` prints them."""
    rules = load_rules(root, [CONTRACT], {**SHADOW, **parameters})
    found = run(rules, RepoView(root)).findings
    return sorted(f"{f.location()}: {f.rule} {f.message}" for f in found)


@pytest.mark.parametrize("git_mode", [False, True], ids=["walk", "git"])
@pytest.mark.parametrize(("fixture", "phase"), sorted(EXPECTED))
def test_fixture_findings_are_exact(fixture_copy, fixture, phase, git_mode):
    root = fixture_copy(fixture)
    if git_mode:
        init_git(root)
    assert findings(root, phase=phase) == sorted(EXPECTED[fixture, phase])


@pytest.mark.parametrize(
    ("fixture", "rules"),
    [
        ("prisma-to-convex-before", "6 of 6 rules failed"),
        ("prisma-to-convex-after", "All 6 rules pass"),
        ("prisma-to-convex-complete", "All 13 rules pass"),  # its conformance.yaml: complete
    ],
)
def test_fixture_config_selects_the_phase(cli, fixture, rules):
    code, out, _ = cli("check", str(FIXTURES / fixture))
    assert rules in out.splitlines()[-1]
    assert code == (1 if "failed" in rules else 0)


# call-absent ----------------------------------------------------------------------------------


def call_rule(**options) -> Rule:
    options = {"files": "src/**/*.ts", "callees": "prisma.*", **options}
    return Rule(
        id="r", kind="call-absent", message="{item}", why="w", contract="t", options=options
    )


def check(root: Path, rule: Rule) -> list[tuple]:
    return [(f.path, f.line, f.message) for f in run([rule], RepoView(root)).findings]


CALLS = """\
import { prisma } from "@repo/db";
// prisma.task.create({}) in a comment
/* prisma.$transaction([]) */
const note = "prisma.task.update() in a string";
const pattern = /prisma\\.task\\.delete\\(/;
const template = `prisma.todo.create(${note})`;
const prismaLike = { task: { create: () => 1 } };
prismaLike.task.create();
const db = prisma;
const tasks = db.task;

export class Repo {
  async save() {
    return db.task.create({ data: {} });
  }
}

export async function list() {
  return [1].map(async () => tasks.findMany());
}

app.get("/tasks", async () => prisma!.task.findMany());
socket.on("join", () => (prisma as any)["chatMessage"].findMany());
await prisma.$queryRaw`SELECT 1`;
function outer() {
  return this.prisma.task.update({});
}
"""


def test_call_absent_reads_the_syntax_tree(tree):
    root = tree({"src/calls.ts": CALLS})
    assert check(root, call_rule()) == [
        ("src/calls.ts", 14, "Repo.save() calls prisma.task.create (as db.task.create)"),
        ("src/calls.ts", 19, "list() calls prisma.task.findMany (as tasks.findMany)"),
        ("src/calls.ts", 22, 'app.get("/tasks") handler calls prisma.task.findMany'),
        ("src/calls.ts", 23, 'socket.on("join") handler calls prisma.chatMessage.findMany'),
        ("src/calls.ts", 24, "module scope calls prisma.$queryRaw"),
    ]


def test_call_absent_patterns_instead_and_exclude(tree):
    root = tree({"src/calls.ts": CALLS, "src/calls.test.ts": CALLS})
    rule = call_rule(
        callees=["prisma.$queryRaw", "*.prisma.*"],
        instead={"prisma.$*": "a Convex query", "*": "unused"},
        exclude="**/*.test.ts",
    )
    assert check(root, rule) == [
        ("src/calls.ts", 24, "module scope calls prisma.$queryRaw; use a Convex query instead"),
        ("src/calls.ts", 26, "outer() calls this.prisma.task.update; use unused instead"),
    ]


def test_call_absent_alias_cycles_do_not_hang(tree):
    root = tree({"src/a.ts": "const a = b;\nconst b = a;\na.x();\nprisma.y();\n"})
    assert check(root, call_rule()) == [("src/a.ts", 4, "module scope calls prisma.y")]


def test_call_absent_an_aliased_client_keeps_its_own_name(tree):
    source = "const prisma = globalForPrisma.prisma;\nexport const f = () => prisma.task.count();\n"
    root = tree({"src/db.ts": source})
    assert check(root, call_rule()) == [("src/db.ts", 2, "f() calls prisma.task.count")]


DESTRUCTURED = """\
import prisma from "./db";

export async function remove(id: string) {
  const { client, transaction: tx, helpers: { page }, ...rest } = prisma;
  const { client: fallback = null } = prisma;
  await tx([client.site.delete({ where: { id } })]);
  page(2);
  rest.pool.end();
  return fallback?.site.count();
}

export function report() {
  // the same names, bound to another client in this function
  const { client, transaction: tx } = analytics;
  return tx([client.events.count()]);
}
"""


def test_call_absent_follows_destructured_aliases_in_their_function(tree):
    root = tree({"src/sites.ts": DESTRUCTURED})
    assert check(root, call_rule()) == [
        ("src/sites.ts", 6, "remove() calls prisma.client.site.delete (as client.site.delete)"),
        ("src/sites.ts", 6, "remove() calls prisma.transaction (as tx)"),
        ("src/sites.ts", 7, "remove() calls prisma.helpers.page (as page)"),
        ("src/sites.ts", 8, "remove() calls prisma.pool.end (as rest.pool.end)"),
        ("src/sites.ts", 9, "remove() calls prisma.client.site.count (as fallback.site.count)"),
    ]


CLIENT_MODULES = {
    "package.json": '{"workspaces": ["packages/*", "apps/*"]}',
    "packages/db/package.json": '{"name": "@acme/db", "main": "./src/index.ts"}',
    "packages/db/src/client.ts": (
        'import { PrismaClient as Client } from "@prisma/client";\n'
        "export const db = new Client();\n"
        "export function ping() {\n  return db.$queryRaw`SELECT 1`;\n}\n"
    ),
    "packages/db/src/edge.ts": "export default {};\n",
    "apps/api/package.json": '{"name": "api"}',
    "apps/api/tsconfig.json": '{"compilerOptions": {"paths": {"~/*": ["./src/*"]}}}',
    "apps/api/src/a.ts": (
        'import { db as database } from "@acme/db";\n'
        "export const a = () => database.user.findMany();\n"
    ),
    "apps/api/src/b.ts": (
        'import anything from "@acme/db/src/edge";\nexport const b = () => anything.user.count();\n'
    ),
    "apps/api/src/c.ts": (
        "// `db` here is a search client of its own\n"
        'import { db } from "~/search";\n'
        "export const c = () => db.index();\n"
    ),
    "apps/api/src/search.ts": "export const db = { index() {} };\n",
    "apps/api/src/d.ts": (
        'import { PrismaClient as Reader } from "~/generated/prisma/client";\n'
        "export const reader = new Reader();\n"
        "export class Local { make() { return new Reader(); } }\n"
    ),
}


def test_call_absent_clients_and_constructs(tree):
    """`clients`: a module's own binding, an export imported renamed through its workspace
    package, a default export under any name; a same-named binding of another module is not
    the client. `constructs`: the class imported under another name from a generated folder
    (git-ignored, so absent) through a tsconfig alias."""
    root = tree(CLIENT_MODULES)
    rule = call_rule(
        files="**/src/**/*.ts",
        clients={"prisma": ["packages/db/src/client.ts#db", "packages/db/src/edge.ts#default"]},
        constructs={"PrismaClient": ["@prisma/client", "apps/api/src/generated/prisma"]},
    )
    assert check(root, rule) == [
        ("apps/api/src/a.ts", 2, "a() calls prisma.user.findMany (as database.user.findMany)"),
        ("apps/api/src/b.ts", 2, "b() calls prisma.user.count (as anything.user.count)"),
        ("apps/api/src/d.ts", 2, "module scope constructs new PrismaClient(…)"),
        ("apps/api/src/d.ts", 3, "Local.make() constructs new PrismaClient(…)"),
        ("packages/db/src/client.ts", 2, "module scope constructs new PrismaClient(…)"),
        ("packages/db/src/client.ts", 4, "ping() calls prisma.$queryRaw (as db.$queryRaw)"),
    ]


def test_import_absent_paths_resolve_imports_into_the_repository(tree):
    root = tree(
        {
            "tsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}',
            "src/a.ts": 'import { PrismaClient } from "@/generated/prisma/client";\n',
            "src/lib/b.ts": (
                'import type { User } from "../generated/prisma/models";\n'
                "// import x from '../generated/prisma'\n"
                'const enums = await import("../generated/prisma/enums.js");\n'
            ),
            "src/c.ts": 'import { prisma } from "./lib/prisma";\nexport * from "@other/prisma";\n',
            "src/lib/prisma.ts": "export const prisma = 1;\n",
        }
    )
    rule = Rule(
        id="r",
        kind="import-absent",
        message="{item}",
        why="w",
        contract="t",
        options={"files": "src/**/*.ts", "modules": [], "paths": ["src/generated/prisma"]},
    )
    assert check(root, rule) == [
        ("src/a.ts", 1, "`@/generated/prisma/client`"),
        ("src/lib/b.ts", 1, "`../generated/prisma/models`"),
        ("src/lib/b.ts", 3, "`../generated/prisma/enums.js`"),
    ]


# exports-present ------------------------------------------------------------------------------


EXPORTS = """\
// export function inComment() {}
const local = 1;
export const a = 1, b = () => 2;
export async function f() {}
export class K {}
export { local as aliased };
export type { T } from "./t";
export { type U, w } from "./m";
export * as ns from "./n";
export * from "./o";
export type Q = string;
export interface I {}
export declare function ambient(): void;
export default function () {}
"""


@pytest.mark.parametrize(
    ("name", "exported"),
    [
        *[(n, True) for n in ("a", "b", "f", "K", "aliased", "w", "ns", "default")],
        *[(n, False) for n in ("inComment", "local", "T", "U", "Q", "I", "ambient", "fromStar")],
    ],
)
def test_exports_present_counts_value_exports_only(tree, name, exported):
    root = tree({"m.ts": EXPORTS})
    rule = Rule("r", "exports-present", "{item}", "w", "t", {"files": "m.ts", "names": name})
    assert check(root, rule) == ([] if exported else [("m.ts", None, f'"{name}" is not exported')])


def test_exports_present_missing_module(tree):
    root = tree({"other.ts": ""})
    rule = Rule("r", "exports-present", "{item}", "w", "t", {"files": "m.ts", "names": ["a"]})
    report = run([rule], RepoView(root))
    assert (report.findings, report.status(rule)) == ([], "unchecked")
    created = {
        "files": "m.ts",
        "names": ["a"],
        "fix": {"create": [{"path": "m.ts", "template": "x"}]},
    }
    assert check(root, rule._replace(options=created)) == [("m.ts", None, "m.ts is missing")]


# ts-present -----------------------------------------------------------------------------------


def ts_rule(**options) -> Rule:
    options = {
        "files": "client.ts",
        "new": {"ConvexHttpClient": "convex/browser"},
        "env": ["CONVEX_URL"],
        "throw_if_unset": ["CONVEX_URL"],
        **options,
    }
    return Rule("r", "ts-present", "{item}", "w", "t", options)


SEED_CLIENT = """\
import { ConvexHttpClient } from "convex/browser";

let convexClient: ConvexHttpClient | null = null;

export function getConvexClient(): ConvexHttpClient {
  if (!convexClient) {
    const convexUrl = process.env.CONVEX_URL || process.env.NEXT_PUBLIC_CONVEX_URL;
    if (!convexUrl) {
      throw new Error("CONVEX_URL not configured");
    }
    convexClient = new ConvexHttpClient(convexUrl);
  }
  return convexClient;
}
"""


@pytest.mark.parametrize(
    "source",
    [
        SEED_CLIENT,
        # The convex-adoption template: env passed as a parameter defaulting to process.env.
        (Path(__file__).parent.parent / "templates/convex-adoption/src/client.ts.j2").read_text(),
        'import * as cb from "convex/browser";\nconst { CONVEX_URL: url } = process.env;\n'
        'if (url === undefined) { throw new Error("no url"); }\nnew cb.ConvexHttpClient(url);\n',
        'import { ConvexHttpClient as C } from "convex/browser";\n'
        'if (!process.env["CONVEX_URL"]) throw new Error("x");\nnew C(process.env["CONVEX_URL"]);\n',
    ],
    ids=["seed", "convex-adoption", "namespace+destructuring", "alias+subscript"],
)
def test_ts_present_accepts_real_singletons(tree, source):
    assert check(tree({"client.ts": source}), ts_rule()) == []


def test_ts_present_names_what_is_missing(tree):
    source = """\
import { ConvexHttpClient } from "convex/react";
// new ConvexHttpClient(process.env.CONVEX_URL) would be right; throw new Error("unset")
const url = "process.env.CONVEX_URL";
if (!url) {
  const later = () => {
    throw new Error("a throw in a function defined here does not run here");
  };
}
export const client = new ConvexHttpClient(url);
"""
    assert check(tree({"client.ts": source}), ts_rule()) == [
        ("client.ts", None, "no `throw` when CONVEX_URL is unset"),
        ("client.ts", None, "no read of process.env.CONVEX_URL"),
        (
            "client.ts",
            9,
            'no `new ConvexHttpClient(…)` of the import from "convex/browser" '
            '(this one constructs the import from "convex/react")',
        ),
    ]


def test_ts_present_missing_file(tree):
    """Missing, it is a finding when the fix creates it; otherwise nothing was checked."""
    root = tree({"x.ts": ""})
    fix = {"create": [{"path": "client.ts", "template": "x"}]}
    assert check(root, ts_rule(fix=fix)) == [("client.ts", None, "client.ts is missing")]
    assert run([ts_rule()], RepoView(root)).status(ts_rule()) == "unchecked"


# env-var-present ------------------------------------------------------------------------------


def env_rule(names=("CONVEX_URL", "OTHER"), **fix) -> Rule:
    options = {"files": "app/.env.example", "names": list(names)}
    if fix:
        options["fix"] = fix
    return Rule("r", "env-var-present", "{item}", "w", "t", options)


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("CONVEX_URL=\nexport OTHER=1\n", []),
        ("# CONVEX_URL=https://x.convex.cloud\n  OTHER = 2\n", []),
        ("# Set the CONVEX_URL variable and OTHER.\nCONVEX_URLS=1\n", ["CONVEX_URL", "OTHER"]),
    ],
)
def test_env_var_present(tree, text, missing):
    root = tree({"app/.env.example": text})
    expected = [("app/.env.example", None, f"{name} is not declared") for name in missing]
    assert check(root, env_rule()) == expected


def plan(root: Path, rule: Rule) -> dict[str, tuple[str, str | None, str]]:
    work = Workspace(RepoView(root))
    KINDS[rule.kind].apply_fix(rule, work)
    return {c.path: (c.status, c.after, c.note) for c in work.changes()}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("A=1\r\nB=2", "A=1\r\nB=2\r\n\r\n# the URL\r\n# of it\r\nCONVEX_URL=\r\n"),
        ("A=1\n", "A=1\n\n# the URL\n# of it\nCONVEX_URL=\n"),
        ("", "# the URL\n# of it\nCONVEX_URL=\n"),
    ],
    ids=["crlf-no-final-newline", "lf", "empty"],
)
def test_env_var_present_fix_appends_in_the_files_line_endings(tree, before, after):
    root = tree({"app/.env.example": before.encode()})
    rule = env_rule(
        ["CONVEX_URL"], comment="the URL\nof it", template="prisma-to-convex/env.example.j2"
    )
    assert plan(root, rule)["app/.env.example"][:2] == ("edit", after)


def test_env_var_present_fix_creates_a_missing_file_from_the_template(tree):
    root = tree({"app/README.md": ""})
    rule = env_rule(["CONVEX_URL"], template="prisma-to-convex/env.example.j2")
    status, text, _ = plan(root, rule)["app/.env.example"]
    assert status == "create"
    assert "\nCONVEX_URL=\n" in text
    assert check(write_tree(root, {"app/.env.example": text}), rule) == []


# The wrappers' source: the Convex functions of the repository ---------------------------------


CONVEX_MODULES = {
    "convex/tasks.ts": """\
import { v } from "convex/values";
import { customQuery } from "convex-helpers/server/customFunctions";
import { internalMutation, mutation, query } from "./_generated/server";

const authedQuery = customQuery(query, { args: {}, input: async () => ({ ctx: {}, args: {} }) });

export const create = mutation({
  args: { title: v.string(), "repo-url": v.optional(v.string()) },
  handler: async () => null,
});
export const list = authedQuery({ args: {}, handler: async () => [] });
export const legacy = query(async () => null);
export const purge = internalMutation({ args: {}, handler: async () => null });
export const zed = zQuery({ args: {}, handler: async () => null });
const hidden = mutation({ args: {}, handler: async () => null });
export const helper = 3;
""",
    "convex/agent/tools.ts": """\
import { actionGeneric } from "convex/server";
export const run = actionGeneric({ args: { n: v.number() }, handler: async () => 1 });
""",
    "convex/my-jobs.ts": """\
import { query } from "./_generated/server";
export const next = query({ args: {}, handler: async () => null });
""",
    "convex/_generated/server.d.ts": "export declare const query: any;\n",
    "convex/schema.d.ts": "export declare const fake: any;\n",
}


def test_convex_functions_are_read_from_the_modules(tree):
    modules = convex_modules(project_of(RepoView(tree(CONVEX_MODULES))), "convex/")
    assert sorted(modules) == ["agent/tools", "my-jobs", "tasks"]
    assert modules["tasks"]["path"] == "convex/tasks.ts"
    assert modules["tasks"]["functions"] == {
        "create": {
            "kind": "mutation",
            "public": True,
            "builder": "mutation",
            "args": [
                {"name": "title", "optional": False},
                {"name": "repo-url", "optional": True},
            ],
        },
        "list": {"kind": "query", "public": True, "builder": "authedQuery", "args": []},
        "legacy": {"kind": "query", "public": True, "builder": "query", "args": None},
        "purge": {"kind": "mutation", "public": False, "builder": "internalMutation", "args": []},
        "zed": {"kind": None, "public": True, "builder": "zQuery", "args": []},
    }
    assert modules["agent/tools"]["functions"]["run"]["kind"] == "action"


def test_operations_context_matches_operations_to_functions(tree):
    context = convex_operations_context(
        convex_modules(project_of(RepoView(tree(CONVEX_MODULES))), "convex"),
        "apps/server/src/lib/convex-operations.ts",
        dir="convex",
        operations=[
            "createTask",
            "listTasks",
            "runTool",
            "nextJob",
            "purge",
            "zed",
            "gone",
            "lost",
            "unmapped",
        ],
        functions={
            "createTask": "tasks.create",
            "listTasks": "tasks:list",
            "runTool": "agent.tools.run",
            "nextJob": "my-jobs.next",
            "purge": "tasks.purge",
            "zed": "tasks.zed",
            "gone": "tasks.remove",
            "lost": "users.get",
        },
        client="apps/server/src/lib/convex-client.ts",
    )
    assert context["api_import"] == "../../../../convex/_generated/api"
    assert context["client_import"] == "./convex-client"
    assert [(w["name"], w["api"], w["kind"], w["args"]) for w in context["wrappers"]] == [
        ("createTask", "api.tasks.create", "mutation", ["title", "repo-url?"]),
        ("listTasks", "api.tasks.list", "query", []),
        ("runTool", "api.agent.tools.run", "action", ["n"]),
        ("nextJob", 'api["my-jobs"].next', "query", []),
    ]
    assert context["skipped"] == [
        {
            "name": "purge",
            "where": "convex/tasks.ts",
            "reason": '"purge" is an internal mutation, which clients cannot call',
        },
        {
            "name": "zed",
            "where": "convex/tasks.ts",
            "reason": '"zed" is built with `zQuery`, not query, mutation or action',
        },
        {
            "name": "gone",
            "where": "convex/tasks.ts",
            "reason": 'exports no Convex function "remove"',
        },
        {
            "name": "lost",
            "where": "convex/users.ts",
            "reason": "no Convex module `users` in convex/",
        },
        {
            "name": "unmapped",
            "where": "apps/server/src/lib/convex-operations.ts",
            "reason": "no Convex function is mapped to it",
        },
    ]


# conformance fix ------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


@pytest.fixture
def before(fixture_copy):
    """A committed git copy of the before fixture, optionally edited before the commit."""

    def make(edits: dict[str, tuple[str, str]] | None = None) -> Path:
        root = fixture_copy("prisma-to-convex-before")
        for path, (old, new) in (edits or {}).items():
            text = (root / path).read_text()
            assert old in text
            (root / path).write_text(text.replace(old, new))
        init_git(root)
        return root

    return make


SKIP_HINT = (
    "  [p2c-critical-path-no-prisma]  (no automatic fix: Replace each call with the one the "
    "finding suggests. Call sites are not rewritten automatically: the new API takes other "
    "arguments and returns other shapes.)"
)


def test_fix_writes_the_client_and_the_wrappers_and_skips_the_call_sites(before, cli):
    root = before()
    code, out, err = cli("fix", str(root))
    assert (code, err) == (1, "")  # the call sites are left to a person
    statuses = out[: out.index("paths changed")].splitlines()[:-1]
    assert statuses == [
        f"skip      {ACTION}{SKIP_HINT}",
        "edit      apps/server/.env.example  [p2c-env-convex-url]",
        "edit      apps/server/package.json  [p2c-server-convex-dependency]",
        f"skip      {CHAT}{SKIP_HINT}",
        f"skip      {APP}{SKIP_HINT}",
        f"create    {CLIENT}  [p2c-convex-client, p2c-convex-client-export]",
        f"create    {OPS}  [p2c-convex-operations]",
        f"skip      {SOCKET}{SKIP_HINT}",
        f"skip      {STATUS}{SKIP_HINT}",
    ]
    assert findings(root) == sorted(BEFORE_CRITICAL)
    # The after fixture holds exactly what the fix generates.
    after = FIXTURES / "prisma-to-convex-after"
    for path in (CLIENT, OPS, "apps/server/.env.example", "apps/server/package.json"):
        assert (root / path).read_text() == (after / path).read_text(), path
    assert (
        json.loads((root / "apps/server/package.json").read_text())["dependencies"]["convex"]
        == "^1.48.0"
    )
    assert (
        (root / "apps/server/.env.example")
        .read_text()
        .endswith(
            "GITHUB_PRIVATE_KEY=\n\n"
            "# URL of the Convex deployment (the frontend's NEXT_PUBLIC_CONVEX_URL),\n"
            "# read by src/lib/convex-client.ts.\n"
            "CONVEX_URL=\n"
        )
    )


def test_the_wrappers_are_derived_from_the_convex_functions(before, cli):
    root = before()
    cli("fix", str(root))
    text = (root / OPS).read_text()
    assert 'import type { FunctionArgs } from "convex/server";\n' in text
    # From apps/server/src/lib to convex/ at the root: four levels up (the seed writes three).
    assert 'import { api } from "../../../../convex/_generated/api";\n' in text
    assert 'import { getConvexClient } from "./convex-client";\n' in text
    wrappers = {
        "createTask": (
            "mutation",
            "tasks.create",
            "title, repoFullName, repoUrl, userId, baseBranch?, mainModel?",
        ),
        "updateTask": (
            "mutation",
            "tasks.update",
            "taskId, title?, status?, initStatus?, initializationError?, scheduledCleanupAt?",
        ),
        "getTask": ("query", "tasks.get", "taskId"),
        "listTasks": ("query", "tasks.listByUser", "userId"),
        "deleteTask": ("mutation", "tasks.remove", "taskId"),
        "appendMessage": ("mutation", "messages.append", "taskId, role, content, llmModel?"),
        "updateMessage": ("mutation", "messages.update", "messageId, content?, finishReason?"),
        "listMessages": ("query", "messages.byTask", "taskId"),
        "createTodo": ("mutation", "todos.create", "taskId, content, status?, sequence"),
        "updateTodo": ("mutation", "todos.update", "todoId, content?, status?"),
        "listTodos": ("query", "todos.byTask", "taskId"),
        "bulkCreateTodos": ("mutation", "todos.bulkCreate", "taskId, todos"),
    }
    for name, (kind, function, args) in wrappers.items():
        module = function.split(".")[0]
        assert (
            f"/**\n * `api.{function}`, a {kind} in convex/{module}.ts.\n * Arguments: {args}.\n */\n"
            f"export async function {name}(args: FunctionArgs<typeof api.{function}>) {{\n"
            f"  return getConvexClient().{kind}(api.{function}, args);\n}}\n"
        ) in text
    assert text.count("export async function") == len(wrappers)
    assert "Not generated" not in text


def test_second_fix_is_a_no_op(before, cli):
    root = before()
    cli("fix", str(root))
    first = snapshot(root)
    code, out, _ = cli("fix", str(root))
    assert code == 1
    assert snapshot(root) == first
    assert "0 paths changed; checking again:" in out
    assert not [line for line in out.splitlines() if line.startswith(("create", "edit", "remove"))]


def test_operations_without_a_convex_function_are_skipped_not_invented(before, cli):
    root = before(
        {
            "convex/todos.ts": ("export const bulkCreate = ", "export const bulkInsert = "),
            "convex/tasks.ts": (
                "export const remove = mutation(",
                "export const remove = internalMutation(",
            ),
        }
    )
    code, out, _ = cli("fix", str(root))
    assert code == 1
    lines = out.splitlines()
    assert f"create    {OPS}  [p2c-convex-operations]" in lines
    assert (
        "skip      convex/tasks.ts  [p2c-convex-operations]  (deleteTask not generated: "
        '"remove" is an internal mutation, which clients cannot call)'
    ) in lines
    assert (
        "skip      convex/todos.ts  [p2c-convex-operations]  (bulkCreateTodos not generated: "
        'exports no Convex function "bulkCreate")'
    ) in lines
    text = (root / OPS).read_text()
    assert "deleteTask" not in text.split("// Not generated")[0]
    assert text.endswith(
        "// Not generated: no public Convex function to call. Add it, then run `conformance fix` again.\n"
        '// - deleteTask (convex/tasks.ts): "remove" is an internal mutation, which clients cannot call\n'
        '// - bulkCreateTodos (convex/todos.ts): exports no Convex function "bulkCreate"\n'
    )
    remaining = [f for f in findings(root) if " p2c-convex-operations " in f]
    assert remaining == [
        f'{OPS}: p2c-convex-operations the Convex operation wrappers are incomplete: "{name}" '
        "is not exported"
        for name in ("bulkCreateTodos", "deleteTask")
    ]
    first = snapshot(root)
    code, out, _ = cli("fix", str(root))
    assert snapshot(root) == first
    assert f"identical {OPS}  [p2c-convex-operations]" in out.splitlines()
    assert sum(line.startswith("skip      convex/") for line in out.splitlines()) == 2


def test_an_existing_wrapper_module_is_a_conflict_not_overwritten(before, cli):
    root = before()
    write_tree(root, {OPS: "export async function createTask() {}\n"})
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "ops"], cwd=root, check=True)
    _, out, _ = cli("fix", str(root))
    assert (
        f"conflict  {OPS}  [p2c-convex-operations]  (exists and differs from the template; "
        "--force replaces it)"
    ) in out.splitlines()
    assert (root / OPS).read_text() == "export async function createTask() {}\n"


# The generated files compile against the real `convex` package ---------------------------------


API_STANDIN = """
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import type * as messages from "../messages.js";
import type * as tasks from "../tasks.js";
import type * as todos from "../todos.js";

declare const fullApi: ApiFromModules<{
  messages: typeof messages;
  tasks: typeof tasks;
  todos: typeof todos;
}>;
export declare const api: FilterApi<typeof fullApi, FunctionReference<any, "public">>;
export declare const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">>;
"""

# Calls through the wrappers: right arguments compile, wrong ones must not.
WRAPPER_PROBE = """
import type { Id } from "../../../../convex/_generated/dataModel";
import { getConvexClient, resetConvexClient } from "./convex-client";
import { appendMessage, bulkCreateTodos, createTask, listTasks, updateTask } from "./convex-operations";

export async function probe(userId: Id<"users">): Promise<number> {
  resetConvexClient();
  getConvexClient();
  const { taskId } = await createTask({ title: "t", repoFullName: "a/b", repoUrl: "u", userId });
  await updateTask({ taskId, status: "RUNNING" });
  // @ts-expect-error a status the Convex validator does not allow
  await updateTask({ taskId, status: "DONE" });
  // @ts-expect-error a missing required argument
  await appendMessage({ taskId, content: "hi" });
  const { todoIds } = await bulkCreateTodos({ taskId, todos: [{ content: "x" }] });
  const tasks = await listTasks({ userId });
  return tasks.length + todoIds.length;
}
"""

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "ESNext",
        "moduleResolution": "Bundler",
        "strict": True,
        "noUnusedLocals": True,
        "skipLibCheck": True,
        "noEmit": True,
        "isolatedModules": True,
        "types": ["node"],
    },
    "include": ["convex/**/*.ts", f"{LIB}/*.ts"],
}


def test_generated_files_typecheck(convex_node_modules, before, cli):
    root = before()
    cli("fix", str(root))
    files = {
        f"convex/_generated/{name}": GENERATED_HEADER + GENERATED[name]
        for name in ("api.js", "dataModel.d.ts", "server.d.ts", "server.js")
    }
    files["convex/_generated/api.d.ts"] = GENERATED_HEADER + API_STANDIN
    files[f"{LIB}/probe.ts"] = WRAPPER_PROBE
    files["tsconfig.json"] = json.dumps(TSCONFIG, indent=2)
    write_tree(root, files)
    (root / "node_modules").symlink_to(convex_node_modules, target_is_directory=True)
    result = subprocess.run(
        ["node", str(convex_node_modules / "typescript/bin/tsc"), "--noEmit", "-p", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# list / explain -------------------------------------------------------------------------------


def test_list_shows_the_contract(cli):
    code, out, _ = cli("list", "--contract", CONTRACT)
    assert code == 0
    assert out.startswith("prisma-to-convex: The Shadow platform moves its backend")
    assert "  param phase = 'critical-path'\n" in out
    for rule, kind in [
        ("p2c-server-convex-dependency", "dependency-present"),
        ("p2c-convex-client", "ts-present"),
        ("p2c-convex-client-export", "exports-present"),
        ("p2c-convex-operations", "exports-present"),
        (CRITICAL, "call-absent"),
        ("p2c-env-convex-url", "env-var-present"),
    ]:
        assert f"  {rule:<28} {kind:<24} " in out
    # The complete phase's rules are listed with the condition they apply under.
    assert "p2c-no-prisma-calls" in out and "[when phase=complete]" in out
    kinds = out.splitlines()[-1]
    for kind in ("call-absent", "exports-present", "ts-present", "env-var-present"):
        assert kind in kinds


@pytest.mark.parametrize(
    ("rule", "kind", "doc"),
    [
        (CRITICAL, "call-absent", "Local aliases are followed"),
        ("p2c-convex-client", "ts-present", "`throw_if_unset`"),
        ("p2c-convex-operations", "exports-present", "a type-only export or a"),
        ("p2c-env-convex-url", "env-var-present", "commented-out declaration"),
    ],
)
def test_explain_shows_why_what_and_how(cli, rule, kind, doc):
    code, out, _ = cli("explain", rule)
    assert code == 0
    assert out.startswith(f"{rule}  (contract prisma-to-convex, kind {kind})\n")
    assert f"What `{kind}` checks:" in out
    assert doc in out
    assert "How to fix:" in out


def test_explain_a_complete_phase_rule_through_the_repositorys_config(cli):
    code, out, _ = cli(
        "explain", "p2c-no-prisma-calls", str(FIXTURES / "prisma-to-convex-complete")
    )
    assert code == 0
    assert "kind call-absent" in out.splitlines()[0]
    assert "auth" in out


def test_call_sites_are_not_claimed_fixable(check_json):
    _, payload = check_json(str(FIXTURES / "prisma-to-convex-before"))
    fixable = {f["rule"]: f["fixable"] for f in payload["findings"]}
    assert fixable.pop(CRITICAL) is False
    assert set(fixable.values()) == {True}


def test_complete_phase_fix_removes_prisma_and_leaves_the_code(fixture_copy, cli):
    root = fixture_copy("prisma-to-convex-after")
    init_git(root)
    code, out, _ = cli("fix", str(root), "--param", "phase=complete")
    assert code == 1
    assert "remove    packages/db/prisma/migrations/  [p2c-prisma-migrations-removed]" in out
    assert "remove    packages/db/prisma/schema.prisma  [p2c-prisma-schema-removed]" in out
    assert not (root / "packages/db/prisma").exists()
    assert "postgres" not in (root / "docker-compose.yml").read_text()
    assert findings(root, phase="complete") == sorted(
        line
        for line in AFTER_COMPLETE
        if " p2c-no-prisma-calls " in line or " p2c-no-prisma-imports " in line
    )
