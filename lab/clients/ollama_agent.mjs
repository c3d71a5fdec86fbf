// A small agent on Ollama's native API through the real `ollama` npm client (pinned in
// lab/clients/package.json): a streamed /api/chat with a shell tool; each tool call it gets is
// run with /bin/sh and its output sent back (`role: "tool"`, `tool_name`) in a /api/chat with
// `stream: false`; then /api/generate streamed and whole. It prints one JSON line with what it
// received. Usage: node ollama_agent.mjs HOST_URL MODEL PROMPT
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

// required (its CommonJS build), not imported: `deno check .` leaves a require() alone, while it
// would try to resolve an `import "ollama"` that only Node finds, in lab/clients/node_modules
const { Ollama } = createRequire(import.meta.url)("ollama");

const [host, model, prompt] = process.argv.slice(2);
if (!host || !model || !prompt) {
  console.error("usage: node ollama_agent.mjs HOST_URL MODEL PROMPT");
  process.exit(2);
}
const ollama = new Ollama({ host });
const tools = [{
  type: "function",
  function: {
    name: "run_shell",
    description: "Run a shell command and return its output",
    parameters: {
      type: "object",
      properties: {
        command: { type: "string", description: "the command line" },
      },
      required: ["command"],
    },
  },
}];
const out = { chat: [], generate: [], tools: [] };
const messages = [{ role: "user", content: prompt }];

// 1: streamed chat with the tool offered
let content = "";
let thinking = "";
const calls = [];
let last;
for await (
  const part of await ollama.chat({ model, messages, tools, stream: true })
) {
  content += part.message?.content ?? "";
  thinking += part.message?.thinking ?? "";
  calls.push(...(part.message?.tool_calls ?? []));
  last = part;
}
out.chat.push({
  content,
  thinking,
  calls,
  done_reason: last?.done_reason,
  eval_count: last?.eval_count,
});
messages.push({ role: "assistant", content, tool_calls: calls });
for (const c of calls) {
  const r = spawnSync("/bin/sh", ["-c", String(c.function.arguments.command)], {
    encoding: "utf8",
  });
  const output = (r.stdout ?? "") + (r.stderr ?? "");
  out.tools.push({
    name: c.function.name,
    command: c.function.arguments.command,
    status: r.status,
    output,
  });
  messages.push({ role: "tool", content: output, tool_name: c.function.name });
}

// 2: the tool's output back, the answer whole
const whole = await ollama.chat({ model, messages, tools, stream: false });
out.chat.push({
  content: whole.message.content,
  done_reason: whole.done_reason,
  eval_count: whole.eval_count,
});

// 3: /api/generate streamed, then whole
let response = "";
for await (
  const part of await ollama.generate({
    model,
    prompt: "What is in a settings file?",
    stream: true,
  })
) {
  response += part.response ?? "";
}
out.generate.push({ response });
const g = await ollama.generate({
  model,
  prompt: "Say done.",
  system: "Be brief.",
  stream: false,
});
out.generate.push({
  response: g.response,
  thinking: g.thinking,
  eval_count: g.eval_count,
});
console.log(JSON.stringify(out));
