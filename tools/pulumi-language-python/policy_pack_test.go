package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// A pack's Python stand-in: records its working directory, arguments and environment with shell
// built-ins only (the official host gives an ambient Python no PATH), then announces the port of
// the test's analyzer, as pulumi-policy announces its own.
const fakePython = `#!/bin/sh
[ "$1" = "-c" ] && exit 0
{ echo "cwd=$(pwd)"; for a in "$@"; do echo "arg=$a"; done; export -p; } >%q
echo %d
`

type policyPackRun struct {
	packDir string
	record  string
}

// runPolicyPack runs a pack through RunPlugin as the engine does: it reads the proxy's port from
// the plugin's stdout, configures the stack through it, and waits for the plugin to end.
func runPolicyPack(t *testing.T, stack *pulumirpc.AnalyzerStackConfigureRequest) policyPackRun {
	t.Helper()
	tmp := t.TempDir()
	run := policyPackRun{packDir: filepath.Join(tmp, "pack"), record: filepath.Join(tmp, "record")}
	if err := os.MkdirAll(run.packDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run.packDir, "__main__.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	packAnalyzer := listen(t, func(s *grpc.Server) { pulumirpc.RegisterAnalyzerServer(s, pulumirpc.UnimplementedAnalyzerServer{}) })
	python := filepath.Join(tmp, "python3")
	script := fmt.Sprintf(fakePython, run.record, packAnalyzer.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_PYTHON_CMD", python)

	hostListener := listen(t, func(s *grpc.Server) { pulumirpc.RegisterLanguageRuntimeServer(s, &host{}) })
	client := pulumirpc.NewLanguageRuntimeClient(dial(t, hostListener.Addr().String()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := client.RunPlugin(ctx, &pulumirpc.RunPluginRequest{
		Pwd:  tmp,
		Args: []string{"127.0.0.1:4711"},
		Kind: "analyzer",
		Info: &pulumirpc.ProgramInfo{RootDirectory: run.packDir, ProgramDirectory: run.packDir, EntryPoint: "."},
	})
	if err != nil {
		t.Fatal(err)
	}
	stdout, proxyPort := io.Pipe()
	go func() {
		for {
			msg, err := stream.Recv()
			if err != nil {
				proxyPort.CloseWithError(err)
				return
			}
			if msg.GetExitcode() != 0 {
				proxyPort.CloseWithError(fmt.Errorf("plugin exited %d", msg.GetExitcode()))
				return
			}
			proxyPort.Write(msg.GetStdout()) //nolint:errcheck
		}
	}()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("no proxy port on the plugin's stdout: %v", lines.Err())
	}
	analyzer := pulumirpc.NewAnalyzerClient(dial(t, "127.0.0.1:"+strings.TrimSpace(lines.Text())))
	if _, err := analyzer.ConfigureStack(ctx, stack); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
	}
	if err := lines.Err(); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return run
}

func (r policyPackRun) recorded(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(r.record)
	if err != nil {
		t.Fatalf("the pack did not run: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func listen(t *testing.T, register func(*grpc.Server)) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	register(s)
	go s.Serve(l) //nolint:errcheck
	t.Cleanup(s.Stop)
	return l
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

var prodStack = &pulumirpc.AnalyzerStackConfigureRequest{
	Stack: "prod", Project: "shop", Organization: "acme", DryRun: true,
	Config: map[string]string{"shop:region": "eu"},
}

func TestAPolicyPackRunsAsPulumiPolicyWithThePackDirectoryLast(t *testing.T) {
	run := runPolicyPack(t, prodStack)
	var args []string
	for _, l := range run.recorded(t) {
		if a, ok := strings.CutPrefix(l, "arg="); ok {
			args = append(args, a)
		}
	}
	want := []string{"-u", "-m", "pulumi.policy", "127.0.0.1:4711", run.packDir}
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Fatalf("arguments %q, want %q", args, want)
	}
}

func TestAPolicyPackRunsFromItsOwnDirectory(t *testing.T) {
	run := runPolicyPack(t, prodStack)
	if got := run.recorded(t); !contains(got, "cwd="+run.packDir) {
		t.Fatalf("want cwd=%s in %q", run.packDir, got)
	}
}

func TestAPolicyPackLearnsTheStackFromItsEnvironment(t *testing.T) {
	got := run(t, prodStack)
	for _, want := range []string{
		`export PULUMI_STACK='prod'`,
		`export PULUMI_PROJECT='shop'`,
		`export PULUMI_ORGANIZATION='acme'`,
		`export PULUMI_DRY_RUN='true'`,
		`export PULUMI_CONFIG='{"shop:region":"eu"}'`,
	} {
		if !contains(got, want) {
			t.Errorf("want %s in %q", want, got)
		}
	}
}

func TestAPolicyPackWithoutAVirtualenvOptionUsesTheAmbientPython(t *testing.T) {
	// No "venv" default for packs: the fake python3 found through PULUMI_PYTHON_CMD ran it.
	if got := run(t, prodStack); len(got) == 0 {
		t.Fatal("nothing recorded")
	}
}

func run(t *testing.T, stack *pulumirpc.AnalyzerStackConfigureRequest) []string {
	return runPolicyPack(t, stack).recorded(t)
}
