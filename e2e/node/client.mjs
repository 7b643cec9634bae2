// A real MCP client (the TypeScript SDK, as Claude Desktop and VS Code use
// it) driving `neonkeys mcp` in the legacy protocol era. Run by
// e2e/mcp_node_test.go, which checks the fake Neon API's request log; this
// script only plays the client and prints one JSON summary on stdout. The
// SDK validates structuredContent against each tool's outputSchema, so a
// schema mismatch fails the run.
//
// It lists tools and keys, then calls create, revoke and rotate twice each:
// first without confirm (a preview: nothing may happen), then with
// confirm: true (the human is asked when the client can ask).
//
// Environment:
//   NEONKEYS_BIN        the neonkeys binary
//   NEON_API_KEY        passed to the server (the SDK gives children a minimal env)
//   NEON_API_HOST       the fake Neon API
//   E2E_ELICIT          accept | decline | cancel: the human's answer to every
//                       confirmation; none: the client declares no elicitation
//                       capability at all
//   E2E_PROJECT_ID      project for create_project_scoped_key
//   E2E_KEY_NAME        name of the key to create
//   E2E_REVOKE_KEY_ID   key for revoke_api_key
//   E2E_ROTATE_KEY_ID   key for rotate_api_key
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const TOKEN = /napi_[A-Za-z0-9]{16,}/g;

function need(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
}

function text(result) {
  return (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

// summarize keeps what the Go side asserts on: never the token itself
// outside `tokens`, which the Go side compares with the fake's keys.
function summarize(result) {
  const all = text(result) + "\n" + JSON.stringify(result.structuredContent ?? {});
  return {
    is_error: Boolean(result.isError),
    text: text(result),
    tokens: [...new Set(all.match(TOKEN) ?? [])],
  };
}

async function main() {
  const elicitAction = need("E2E_ELICIT");
  if (!["accept", "decline", "cancel", "none"].includes(elicitAction)) {
    throw new Error(`E2E_ELICIT=${elicitAction}: want accept, decline, cancel or none`);
  }
  const canElicit = elicitAction !== "none";

  const transport = new StdioClientTransport({
    command: need("NEONKEYS_BIN"),
    args: ["mcp"],
    env: {
      NEON_API_KEY: need("NEON_API_KEY"),
      NEON_API_HOST: need("NEON_API_HOST"),
      PATH: process.env.PATH ?? "",
    },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => {
    stderr += chunk.toString();
  });

  // See every message the server sends before the SDK does (Protocol.connect
  // chains a handler set beforehand): the initialize result's protocol
  // version, and any request the server makes of the client.
  let protocolVersion = null;
  const serverRequests = [];
  transport.onmessage = (message) => {
    if (typeof message.result?.protocolVersion === "string") {
      protocolVersion = message.result.protocolVersion;
    }
    if (typeof message.method === "string" && message.id !== undefined) {
      serverRequests.push(message.method);
    }
  };

  const client = new Client(
    { name: "neonkeys-e2e-node", version: "0.0.1" },
    { capabilities: canElicit ? { elicitation: {} } : {} },
  );
  const elicitations = [];
  if (canElicit) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params.message);
      if (elicitAction !== "accept") {
        return { action: elicitAction };
      }
      const content = {};
      for (const [name, prop] of Object.entries(request.params.requestedSchema?.properties ?? {})) {
        if (prop.type === "boolean") {
          content[name] = true;
        }
      }
      return { action: "accept", content };
    });
  }

  await client.connect(transport);
  const summary = { protocol_version: protocolVersion, tools: [], calls: {} };
  try {
    const { tools } = await client.listTools();
    summary.tools = tools.map((t) => t.name).sort();

    const list = await client.callTool({ name: "list_api_keys", arguments: {} });
    summary.list = {
      is_error: Boolean(list.isError),
      total: list.structuredContent?.total ?? null,
      names: (list.structuredContent?.keys ?? []).map((k) => k.name).sort(),
    };

    const guarded = {
      create: {
        name: "create_project_scoped_key",
        arguments: { project_id: need("E2E_PROJECT_ID"), key_name: need("E2E_KEY_NAME") },
      },
      revoke: { name: "revoke_api_key", arguments: { key_id: Number(need("E2E_REVOKE_KEY_ID")) } },
      rotate: { name: "rotate_api_key", arguments: { key_id: Number(need("E2E_ROTATE_KEY_ID")) } },
    };
    for (const [step, call] of Object.entries(guarded)) {
      summary.calls[`${step}_preview`] = summarize(await client.callTool(call));
    }
    summary.elicitations_before_confirm = elicitations.length;
    for (const [step, call] of Object.entries(guarded)) {
      const confirmed = { ...call, arguments: { ...call.arguments, confirm: true } };
      summary.calls[step] = summarize(await client.callTool(confirmed));
    }
    summary.elicitations = elicitations;
    summary.server_requests = serverRequests;
  } finally {
    await client.close();
  }
  summary.stderr_tokens = (stderr.match(TOKEN) ?? []).length;
  process.stdout.write(JSON.stringify(summary) + "\n");
}

main().catch((err) => {
  process.stderr.write(`client.mjs: ${err?.stack ?? err}\n`);
  process.exit(1);
});
