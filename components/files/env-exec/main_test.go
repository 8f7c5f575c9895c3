package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// wrapper builds env-exec statically, as the image's build stage does.
func wrapper(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "env-exec")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func secretFile(t *testing.T, dir, name, value string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(value), 0o440); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValuesAreSetVerbatimAndTheCommandRunsInItsPlace(t *testing.T) {
	dir := t.TempDir()
	url := "postgresql://app:p$w'd\"`x`@db/app"
	key := "-----BEGIN-----\nline two\n-----END-----\n"
	cmd := exec.Command(wrapper(t),
		"DATABASE_URL="+secretFile(t, dir, "DATABASE_URL", url), "TLS_KEY="+secretFile(t, dir, "TLS_KEY", key),
		"--", "sh", "-c", `printf '%s|%s|%s' "$DATABASE_URL" "$TLS_KEY" "$$"`)
	cmd.Env = append(os.Environ(), "KEPT=yes")
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("env-exec: %v", err)
	}
	parts := strings.Split(out.String(), "|")
	if len(parts) != 3 || parts[0] != url || parts[1] != key {
		t.Fatalf("the app saw %q", out.String())
	}
	if pid, _ := strconv.Atoi(parts[2]); pid != cmd.Process.Pid {
		t.Fatalf("the app ran as pid %d, not in the wrapper's place (%d): Docker's signals would miss it", pid, cmd.Process.Pid)
	}
}

func TestTheRestOfTheEnvironmentIsKept(t *testing.T) {
	cmd := exec.Command(wrapper(t), "--", "sh", "-c", `printf '%s' "$PORT"`)
	cmd.Env = append(os.Environ(), "PORT=8080")
	out, err := cmd.Output()
	if err != nil || string(out) != "8080" {
		t.Fatalf("PORT seen as %q (%v)", out, err)
	}
}

func TestAMissingSecretFileStopsTheStartNamingTheVariableAndTheFile(t *testing.T) {
	dir := t.TempDir()
	present := secretFile(t, dir, "SECRET_KEY", "sk-never-printed")
	missing := filepath.Join(dir, "DATABASE_URL")
	cmd := exec.Command(wrapper(t), "SECRET_KEY="+present, "DATABASE_URL="+missing, "--", "sh", "-c", "echo started")
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("the app started without its secret: %s", out)
	}
	text := string(out)
	if !strings.Contains(text, "DATABASE_URL") || !strings.Contains(text, missing) || strings.Contains(text, "started") {
		t.Fatalf("the error does not name the variable and file: %q", text)
	}
	if strings.Contains(text, "sk-never-printed") {
		t.Fatalf("the error shows a secret value: %q", text)
	}
}

func TestAMalformedPairOrNoCommandIsRefused(t *testing.T) {
	bin := wrapper(t)
	for _, args := range [][]string{{"db-url=/x", "--", "true"}, {"NAME", "--", "true"}, {"NAME=/x", "--"}, {"true"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "env-exec:") {
			t.Fatalf("%q was accepted: %s", args, out)
		}
	}
}

func TestCheckOnlyStarts(t *testing.T) {
	if out, err := exec.Command(wrapper(t), "--check").CombinedOutput(); err != nil {
		t.Fatalf("--check: %v %s", err, out)
	}
}
