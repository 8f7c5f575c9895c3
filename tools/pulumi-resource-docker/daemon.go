package main

// Which daemon and which credentials the native Image uses when the user names neither, after
// pulumi/pulumi-docker provider/image.go (configureDockerClient, getDefaultDockerConfig) and
// provider/provider.go (dockerNativeProvider.Configure).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	cliconfig "github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/docker/client"
)

// defaultDockerHost is the system-wide daemon, tried first when no host is named.
var defaultDockerHost = client.DefaultDockerHost

// desktopSockets are Docker Desktop's per-user sockets (the "adminless install" of Docker Desktop 4.18+),
// tried in this order when the system-wide daemon does not answer.
func desktopSockets(home string) []string {
	return []string{
		"unix://" + home + "/.docker/run/docker.sock",
		"unix://" + home + "/.docker/desktop/docker.sock",
	}
}

// findDaemon picks the daemon when neither docker:host nor DOCKER_HOST names one: the system-wide
// socket if it answers, else the first Docker Desktop socket that does.
func findDaemon(ctx context.Context) (string, error) {
	candidates := []string{defaultDockerHost}
	if runtime.GOOS != "windows" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		candidates = append(candidates, desktopSockets(home)...)
	}
	var failures []string
	for _, host := range candidates {
		err := ping(ctx, host)
		if err == nil {
			return host, nil
		}
		failures = append(failures, fmt.Sprintf("%s: %v", host, err))
	}
	return "", errors.New("no Docker daemon answers at the default addresses (" + strings.Join(failures, "; ") +
		"); set docker:host or DOCKER_HOST to the daemon's address")
}

func ping(ctx context.Context, host string) error {
	c, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err = c.Ping(ctx)
	return err
}

// loadDockerConfig reads ~/.docker/config.json (or $DOCKER_CONFIG) and, when it names no credsStore,
// uses the platform's default credential helper if it is installed (docker-credential-pass with pass,
// else docker-credential-secretservice on Linux; osxkeychain, wincred), as the docker CLI does.
func loadDockerConfig() *configfile.ConfigFile {
	cfg, err := cliconfig.Load(cliconfig.Dir())
	if err != nil || cfg == nil {
		cfg = configfile.New("")
	}
	cfg.CredentialsStore = credentials.DetectDefaultStore(cfg.CredentialsStore)
	return cfg
}
