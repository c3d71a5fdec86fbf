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

/**
 * A TLS client whose writes run at many stack depths: it sends one HTTP/1.1 request to its
 * argument's `/go-stack-path`, the head in one \`(*tls.Conn).Write\` and the body in
 * GO_STACK_WRITES_CHUNKS more, each from a new goroutine after a recursion of a different
 * depth, so that some of those calls are the ones that outgrow their goroutine's stack (Go's
 * prologue then grows it and starts the function again); prints the status line and the
 * number of Write calls. Exits 1 when the request fails.
 */
export const GO_STACK_WRITES_CHUNKS = 400;
export const GO_STACK_WRITES = `package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"os"
	"strings"
)

//go:noinline
func burn(d int, f func()) byte {
	var pad [48]byte
	if d == 0 {
		f()
		return pad[0]
	}
	pad[d%48] = byte(d)
	return burn(d-1, f) + pad[(d+1)%48]
}

func main() {
	u := strings.TrimPrefix(os.Args[1], "https://")
	conn, err := tls.Dial("tcp", u, &tls.Config{NextProtos: []string{"http/1.1"}})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	const n = ${GO_STACK_WRITES_CHUNKS}
	calls := 0
	fmt.Fprintf(conn, "POST /go-stack-path HTTP/1.1\\r\\nHost: %s\\r\\nContent-Length: %d\\r\\n\\r\\n", u, n*6)
	calls++
	for d := 0; d < n; d++ {
		done := make(chan bool)
		chunk := []byte(fmt.Sprintf("w%04d\\n", d))
		go func() {
			burn(d, func() { conn.Write(chunk) })
			done <- true
		}()
		<-done
		calls++
	}
	line, err := bufio.NewReader(conn).ReadString('\\n')
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("%s%d writes\\n", line, calls)
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

/** Builds `source` (a `package main`) with `go` into a stripped binary in `dir`: its path.
 * `flags` go before the others (e.g. `-buildmode=pie`). */
export async function buildGo(
  go: string,
  source: string,
  dir: string,
  flags: string[] = [],
): Promise<string> {
  await Deno.writeTextFile(`${dir}/main.go`, source);
  const out = await new Deno.Command(go, {
    args: ["build", ...flags, "-ldflags=-s -w", "-o", "client", "main.go"],
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
