// A real MCP client (the TypeScript SDK, as Claude Desktop and VS Code use
// it) driving `neonkeys mcp`. Run by e2e/mcp_node_test.go; prints one JSON
// summary on stdout. The SDK validates structuredContent against each
// tool's outputSchema, so a schema mismatch fails the run.
//
// Environment:
//   NEONKEYS_BIN        the neonkeys binary
//   NEON_API_KEY        passed to the server (the SDK gives children a minimal env)
//   NEON_API_HOST       the fake Neon API
//   E2E_ELICIT          accept | decline: the human's answer to confirmations
//   E2E_PROJECT_ID      project for create_project_scoped_key
//   E2E_REVOKE_KEY_ID   key for revoke_api_key (called without confirm)
//   E2E_KEY_NAME        name of the key to create
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

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

async function main() {
  const elicitAction = need("E2E_ELICIT");
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

  const client = new Client(
    { name: "neonkeys-e2e-node", version: "0.0.1" },
    { capabilities: { elicitation: {} } },
  );
  const elicitations = [];
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

  await client.connect(transport);
  const summary = {
    tools: [],
  };
  try {
    const { tools } = await client.listTools();
    summary.tools = tools.map((t) => t.name).sort();

    const list = await client.callTool({ name: "list_api_keys", arguments: {} });
    summary.list = {
      is_error: Boolean(list.isError),
      total: list.structuredContent?.total ?? null,
      names: (list.structuredContent?.keys ?? []).map((k) => k.name).sort(),
    };

    const create = await client.callTool({
      name: "create_project_scoped_key",
      arguments: { project_id: need("E2E_PROJECT_ID"), key_name: need("E2E_KEY_NAME"), confirm: true },
    });
    const createText = text(create) + "\n" + JSON.stringify(create.structuredContent ?? {});
    summary.create = {
      is_error: Boolean(create.isError),
      text: text(create),
      tokens: [...new Set(createText.match(/napi_[a-z0-9]{16,}/g) ?? [])],
    };

    const revoke = await client.callTool({
      name: "revoke_api_key",
      arguments: { key_id: Number(need("E2E_REVOKE_KEY_ID")) },
    });
    summary.revoke_without_confirm = { is_error: Boolean(revoke.isError), text: text(revoke) };
    summary.elicitations = elicitations;
  } finally {
    await client.close();
  }
  summary.stderr_has_token = /napi_[a-z0-9]{16,}/.test(stderr);
  process.stdout.write(JSON.stringify(summary) + "\n");
}

main().catch((err) => {
  process.stderr.write(`client.mjs: ${err?.stack ?? err}\n`);
  process.exit(1);
});
