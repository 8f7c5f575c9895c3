package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher/ignorefile"
	"github.com/tonistiigi/fsutil"
)

// ignoreFile returns the ignore file that applies to a build: `<dockerfile>.dockerignore` beside the
// Dockerfile wins over `<context>/.dockerignore`, as in Docker's BuildKit frontend.
func ignoreFile(contextDir, dockerfile string) string {
	if specific := dockerfile + ".dockerignore"; fileExists(specific) {
		return specific
	}
	return filepath.Join(contextDir, ".dockerignore")
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// readIgnore parses an ignore file; a missing file means no patterns.
func readIgnore(p string) ([]string, error) {
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", p, err)
	}
	return patterns, nil
}

// hashContext digests a build context the way pulumi/pulumi-docker provider/provider.go (hashContext,
// contextHashAccumulator.hashPath) does: the Dockerfile is hashed first under the fixed name "Dockerfile",
// then every file the ignore file lets through, each as (slash path, mode, sha256 of content - or of the
// link target for a symlink), and the whole is hashed again. Renames, mode changes and edits all change it.
func hashContext(contextDir, dockerfile string) (string, error) {
	patterns, err := readIgnore(ignoreFile(contextDir, dockerfile))
	if err != nil {
		return "", err
	}
	var acc bytes.Buffer
	add := func(filePath, name string, mode fs.FileMode) error {
		h := sha256.New()
		// Only a symlink's target and a regular file's content are hashed: reading a named pipe, socket
		// or device would block or never end, so special files count by name and mode only (hashPath).
		if mode.Type() == fs.ModeSymlink {
			target, err := filepath.EvalSymlinks(filePath)
			if err != nil {
				return fmt.Errorf("could not evaluate symlink at %s: %w", filePath, err)
			}
			io.WriteString(h, filepath.ToSlash(filepath.Clean(target)))
		} else if mode.IsRegular() {
			f, err := os.Open(filePath)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(h, f); err != nil {
				return fmt.Errorf("reading %s: %w", filePath, err)
			}
		}
		acc.WriteString(filepath.ToSlash(path.Clean(name)))
		acc.WriteString(mode.String())
		acc.Write(h.Sum(nil))
		acc.WriteByte(0)
		return nil
	}
	if err := add(dockerfile, "Dockerfile", 0); err != nil {
		return "", fmt.Errorf("hashing dockerfile %q: %w", dockerfile, err)
	}
	err = fsutil.Walk(context.Background(), contextDir, &fsutil.FilterOpt{ExcludePatterns: patterns},
		func(rel string, info fs.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if info.IsDir() {
				return nil
			}
			return add(filepath.Join(contextDir, rel), rel, info.Mode())
		})
	if err != nil {
		return "", fmt.Errorf("hashing build context %s: %w", contextDir, err)
	}
	sum := sha256.Sum256(acc.Bytes())
	return hex.EncodeToString(sum[:]), nil
}

// relativeDockerfile returns the Dockerfile's path relative to the context and whether it lies inside it.
func relativeDockerfile(contextDir, dockerfile string) (string, bool, error) {
	absCtx, err := filepath.Abs(contextDir)
	if err != nil {
		return "", false, err
	}
	absDf, err := filepath.Abs(dockerfile)
	if err != nil {
		return "", false, err
	}
	rel, err := filepath.Rel(absCtx, absDf)
	if err != nil {
		return "", false, err
	}
	return rel, !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != "..", nil
}
