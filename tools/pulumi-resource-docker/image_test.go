package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const imageURN = "urn:pulumi:test::test::" + imageToken + "::img"

func TestCheckSkipsANamedPipeInTheBuildContext(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	news, err := plugin.MarshalProperties(resource.PropertyMap{
		"imageName": resource.NewProperty("app:dev"),
		"skipPush":  resource.NewProperty(true),
		"build":     resource.NewProperty(resource.PropertyMap{"context": resource.NewProperty(dir)}),
	}, plugin.MarshalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *pulumirpc.CheckResponse, 1)
	go func() {
		resp, err := newImageProvider(nil, "test").Check(context.Background(), &pulumirpc.CheckRequest{Urn: imageURN, News: news})
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	select {
	case resp := <-done:
		if resp != nil && len(resp.Failures) > 0 {
			t.Fatalf("check failed: %v", resp.Failures)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Check is still reading the named pipe after 10 s")
	}
}

// fakeDaemon answers the Engine API's ping on a unix socket, as Docker Desktop's per-user socket would.
func fakeDaemon(t *testing.T, socket string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(socket), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Write([]byte("OK")) //nolint:errcheck
	})}
	go srv.Serve(l) //nolint:errcheck
	t.Cleanup(func() { srv.Close() })
}

func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "h") // unix socket paths must stay under 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestWithNoHostSetTheDockerDesktopSocketIsUsed(t *testing.T) {
	home := shortTempDir(t)
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_HOST", "")
	saved := defaultDockerHost
	defaultDockerHost = "unix://" + filepath.Join(home, "no-system-daemon.sock")
	t.Cleanup(func() { defaultDockerHost = saved })
	fakeDaemon(t, filepath.Join(home, ".docker", "desktop", "docker.sock"))

	p := newImageProvider(nil, "test")
	if err := p.configure(context.Background(), &pulumirpc.ConfigureRequest{}); err != nil {
		t.Fatal(err)
	}
	want := "unix://" + filepath.Join(home, ".docker", "desktop", "docker.sock")
	if got := os.Getenv("DOCKER_HOST"); got != want {
		t.Fatalf("DOCKER_HOST for the bridged resources is %q, want %q", got, want)
	}
	c, err := p.dockerClient()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.DaemonHost(); got != want {
		t.Fatalf("the Image builds on %q, want %q", got, want)
	}
}

func TestWithNoHostSetAndNoDaemonConfigureSaysWhatToSet(t *testing.T) {
	home := shortTempDir(t)
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_HOST", "")
	saved := defaultDockerHost
	defaultDockerHost = "unix://" + filepath.Join(home, "no-system-daemon.sock")
	t.Cleanup(func() { defaultDockerHost = saved })
	err := newImageProvider(nil, "test").configure(context.Background(), &pulumirpc.ConfigureRequest{})
	if err == nil || !strings.Contains(err.Error(), "set docker:host or DOCKER_HOST") {
		t.Fatalf("err = %v", err)
	}
}

func TestWithoutACredsStoreThePlatformsDefaultCredentialHelperIsAsked(t *testing.T) {
	bin := t.TempDir()
	helper := "#!/bin/sh\nread server\necho '{\"ServerURL\":\"'$server'\",\"Username\":\"robot\",\"Secret\":\"from-helper\"}'\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-secretservice"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+"/bin:/usr/bin")
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no config.json: no credsStore named
	auth, err := registryAuth("registry.example.com/app:1", registryArgs{}, loadDockerConfig())
	if err != nil {
		t.Fatal(err)
	}
	if auth.Username != "robot" || auth.Password != "from-helper" {
		t.Fatalf("push credentials %+v, want the credential helper's", auth)
	}
}

func TestThePushedDigestIsPinnedToTheImagesOwnRepository(t *testing.T) {
	named, _ := reference.ParseNormalizedNamed("127.0.0.1:5000/zeta:v1")
	got, err := pushedRepoDigest(named, "sha256:"+sixtyFour("a"))
	if err != nil || got != "127.0.0.1:5000/zeta@sha256:"+sixtyFour("a") {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestWithoutAPushedDigestTheOwnRepositorysDigestIsPickedAmongOthers(t *testing.T) {
	named, _ := reference.ParseNormalizedNamed("127.0.0.1:5000/zeta:v1")
	digests := []string{"127.0.0.1:5000/alpha@sha256:" + sixtyFour("b"), "127.0.0.1:5000/zeta@sha256:" + sixtyFour("c")}
	if got := ownRepoDigest(named, digests); got != digests[1] {
		t.Fatalf("got %q, want %q", got, digests[1])
	}
	if got := ownRepoDigest(named, digests[:1]); got != "<none>@<none>" {
		t.Fatalf("got %q for an image never pushed to its own repository", got)
	}
}

func sixtyFour(c string) string { return strings.Repeat(c, 64) }
