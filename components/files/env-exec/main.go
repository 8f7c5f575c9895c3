// Command env-exec sets an app's secrets as its environment, read from their files, then becomes the app.
//
//	env-exec NAME=/run/secrets/NAME ... -- command [args...]
//	env-exec --check                      (exits 0: a container that only has to start)
//
// It is the static exec wrapper for images without a shell (scratch, distroless): the values are
// read inside the app's own process at start, so they are never in the container's config. A
// missing or unreadable file stops the start with an error naming the variable and the file; the
// values themselves are never printed.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--check" {
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "env-exec: %v\n", err)
		os.Exit(127)
	}
}

// run sets each NAME from its file, then replaces this process with the command (never returns on success).
func run(args []string) error {
	split := -1
	for i, arg := range args {
		if arg == "--" {
			split = i
			break
		}
	}
	if split < 0 || split == len(args)-1 {
		return fmt.Errorf("usage: env-exec NAME=/path/to/file ... -- command [args...]")
	}
	for _, pair := range args[:split] {
		name, path, ok := strings.Cut(pair, "=")
		if !ok || !envName.MatchString(name) || path == "" {
			return fmt.Errorf("argument %q must be NAME=/path/to/file", pair)
		}
		value, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: cannot read its secret file: %v", name, err)
		}
		if err := os.Setenv(name, string(value)); err != nil {
			return fmt.Errorf("%s: cannot set it from %s: %v", name, path, err)
		}
	}
	command := args[split+1:]
	program, err := exec.LookPath(command[0])
	if err != nil {
		return fmt.Errorf("cannot run %q: %v", command[0], err)
	}
	return syscall.Exec(program, command, os.Environ())
}
