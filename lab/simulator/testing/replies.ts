/** Sample replies for the provider rendering tests. */

import type { Reply } from "../reply.ts";

export function sampleReply(overrides: Partial<Reply> = {}): Reply {
  return {
    model: "test-model-1",
    thinking: "Let me think about the marker file, carefully and at length.",
    text: "I will run the command now — ünïcödé ✓ and some more words to stream.",
    toolCalls: [{
      name: "Bash",
      kind: "function",
      args: {
        command: "echo 'hi \"there\"' > marker.txt",
        description: "Write the marker",
      },
    }],
    usage: {
      inputTokens: 1234,
      outputTokens: 56,
      cacheReadTokens: 789,
      cacheWriteTokens: 321,
      reasoningTokens: 12,
    },
    seed: "test-seed",
    created: 1767225600,
    ...overrides,
  };
}
