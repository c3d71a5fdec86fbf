/**
 * Stripped Go programs for the tests that hook Go's crypto/tls: built here from Debian's
 * golang-go, standard library only, no downloads.
 */

/**
 * An HTTPS client (Go's crypto/tls): POSTs `{"from":"go"}` to its argument's
 * `/go-client-path` with `Authorization: Bearer go-secret-token`; prints the status and the
 * body; exits 1 when the request fails.
 */
export const GO_HTTPS_CLIENT = `package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	req, _ := http.NewRequest("POST", os.Args[1]+"/go-client-path", strings.NewReader("{\\"from\\":\\"go\\"}"))
	req.Header.Set("Authorization", "Bearer go-secret-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(b))
}
`;

/** The go tool; as root without it (a fresh CI machine), Debian's golang-go is installed
 * (~10 s, ~330 MB); undefined when it is missing and this is not root. */
export async function goTool(): Promise<string | undefined> {
  for (const p of ["/usr/bin/go", "/usr/lib/go/bin/go"]) {
    try {
      await Deno.stat(p);
      return p;
    } catch { /* next */ }
  }
  if (Deno.uid() !== 0) return undefined;
  const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", { args, env, stdout: "null" }).output();
  await apt(["update", "-qq"]);
  const r = await apt(["install", "-y", "-qq", "--no-install-recommends", "golang-go"]);
  if (!r.success) {
    throw new Error(`apt-get install golang-go: ${new TextDecoder().decode(r.stderr)}`);
  }
  return "/usr/bin/go";
}

/** Builds `source` (a `package main`) with `go` into a stripped binary in `dir`: its path. */
export async function buildGo(go: string, source: string, dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/main.go`, source);
  const out = await new Deno.Command(go, {
    args: ["build", "-ldflags=-s -w", "-o", "client", "main.go"],
    cwd: dir,
    env: {
      HOME: dir,
      GOCACHE: `${dir}/cache`,
      GOPATH: `${dir}/gopath`,
      GO111MODULE: "off",
      GOPROXY: "off",
      GOFLAGS: "",
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    },
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`go build: ${new TextDecoder().decode(out.stderr)}`);
  return `${dir}/client`;
}
