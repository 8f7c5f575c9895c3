package main

// The native docker:index/image:Image resource. Its semantics follow pulumi/pulumi-docker
// provider/provider.go (dockerNativeProvider.Check/Diff/Create/Update/Read/Delete, checkpointObject,
// parseCheckpointObject, diffUpdates) and provider/image.go (dockerBuild, marshalBuildAndApplyDefaults,
// marshalBuilder, marshalCachedImages, getRegistryAddrFromImage):
//
//   - Check applies the build defaults (context ".", dockerfile "<context>/Dockerfile"), checks the Dockerfile
//     exists, stores the context digest as build.contextDigest and fills build.platform with linux/<GOARCH>
//     when unset.
//   - Diff compares the new inputs with the inputs kept in state (__inputs); registry username/password
//     changes alone do not rebuild. Any other change is an in-place update (rebuild), never a replacement.
//   - Create/Update build (and push unless skipPush); in a preview they build only with buildOnPreview.
//   - Read returns the state unchanged; Delete removes nothing.
//
// How the build runs: through the Engine API's /build endpoint with BuildKit (builder version "2"), the
// context sent as a tar stream and a BuildKit session attached over the daemon's /session endpoint for
// registry credentials - the route pulumi-docker's image.go (dockerBuild) takes with the docker Go client
// and moby/buildkit's session package, both already dependencies of the upstream provider. No docker CLI
// or buildx binary is needed, and the build runs on whatever daemon the provider points at.

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/distribution/reference"
	clibuild "github.com/docker/cli/cli/command/image/build"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/docker/api/types/build"
	dockerimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/tlsconfig"
	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	archive "github.com/moby/go-archive"
	"github.com/opencontainers/go-digest"
	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const defaultDockerfile = "Dockerfile"

type imageProvider struct {
	host    *provider.HostClient
	version string

	mu     sync.Mutex
	config map[string]string // docker:config:* variables, keys without the prefix
}

func newImageProvider(host *provider.HostClient, version string) *imageProvider {
	return &imageProvider{host: host, version: version, config: map[string]string{}}
}

// configure records the provider config. With no docker:host and no DOCKER_HOST it finds the daemon
// (findDaemon) and exports it as DOCKER_HOST, so the bridged resources, configured next, use it too.
func (p *imageProvider) configure(ctx context.Context, req *pulumirpc.ConfigureRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range req.GetVariables() {
		p.config[strings.TrimPrefix(k, "docker:config:")] = v
	}
	if p.config["host"] != "" || os.Getenv("DOCKER_HOST") != "" {
		return nil
	}
	host, err := findDaemon(ctx)
	if err != nil {
		return err
	}
	p.config["host"] = host
	return os.Setenv("DOCKER_HOST", host)
}

func (p *imageProvider) log(ctx context.Context, sev diag.Severity, urn resource.URN, msg string) {
	if p.host != nil {
		_ = p.host.Log(ctx, sev, urn, msg)
	}
}

func (p *imageProvider) status(ctx context.Context, urn resource.URN, msg string) {
	if p.host != nil {
		_ = p.host.LogStatus(ctx, diag.Info, urn, msg)
	}
}

// buildArgs are the checked build inputs.
type buildArgs struct {
	Context        string
	Dockerfile     string
	Args           map[string]*string
	Target         string
	Platform       string
	Network        string
	AddHosts       []string
	CacheFrom      []string
	BuilderVersion build.BuilderVersion
}

type registryArgs struct{ Server, Username, Password string }

func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsOutput() {
		return v.OutputValue().Element
	}
	return v
}

func stringField(obj resource.PropertyMap, key, setting string) (string, error) {
	v := plain(obj[resource.PropertyKey(key)])
	if v.IsNull() {
		return "", nil
	}
	if !v.IsString() {
		return "", fmt.Errorf("%s is %v; it must be a string", setting, v)
	}
	return v.StringValue(), nil
}

func stringList(obj resource.PropertyMap, key, setting string) ([]string, error) {
	v := plain(obj[resource.PropertyKey(key)])
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, fmt.Errorf("%s is %v; it must be a list of strings", setting, v)
	}
	var out []string
	for i, e := range v.ArrayValue() {
		e = plain(e)
		if !e.IsString() {
			return nil, fmt.Errorf("%s[%d] is %v; it must be a string", setting, i, e)
		}
		out = append(out, e.StringValue())
	}
	return out, nil
}

// parseBuild reads the `build` input and applies pulumi-docker's defaults (marshalBuildAndApplyDefaults).
func parseBuild(v resource.PropertyValue) (buildArgs, error) {
	b := buildArgs{Context: ".", BuilderVersion: build.BuilderBuildKit}
	v = plain(v)
	if v.IsNull() {
		b.Dockerfile = filepath.Join(b.Context, defaultDockerfile)
		return b, nil
	}
	if !v.IsObject() {
		return b, fmt.Errorf("build is %v; it must be an object (DockerBuildArgs)", v)
	}
	obj := v.ObjectValue()
	var err error
	if s, err := stringField(obj, "context", "build.context"); err != nil {
		return b, err
	} else if s != "" {
		b.Context = s
	}
	if b.Dockerfile, err = stringField(obj, "dockerfile", "build.dockerfile"); err != nil {
		return b, err
	}
	if b.Dockerfile == "" {
		b.Dockerfile = filepath.Join(b.Context, defaultDockerfile)
	}
	if b.Target, err = stringField(obj, "target", "build.target"); err != nil {
		return b, err
	}
	if b.Platform, err = stringField(obj, "platform", "build.platform"); err != nil {
		return b, err
	}
	if b.Network, err = stringField(obj, "network", "build.network"); err != nil {
		return b, err
	}
	if b.AddHosts, err = stringList(obj, "addHosts", "build.addHosts"); err != nil {
		return b, err
	}
	version, err := stringField(obj, "builderVersion", "build.builderVersion")
	if err != nil {
		return b, err
	}
	switch version {
	case "", "BuilderBuildKit":
		b.BuilderVersion = build.BuilderBuildKit
	case "BuilderV1":
		b.BuilderVersion = build.BuilderV1
	default:
		return b, fmt.Errorf("build.builderVersion is %q; allowed: \"BuilderBuildKit\" (default) or \"BuilderV1\"", version)
	}
	if args := plain(obj["args"]); !args.IsNull() {
		if !args.IsObject() {
			return b, fmt.Errorf("build.args is %v; it must be a map of strings", args)
		}
		b.Args = map[string]*string{}
		for k, a := range args.ObjectValue() {
			a = plain(a)
			if !a.IsString() {
				return b, fmt.Errorf("build.args.%s is %v; it must be a string", k, a)
			}
			s := a.StringValue()
			b.Args[string(k)] = &s
		}
	}
	if cf := plain(obj["cacheFrom"]); !cf.IsNull() {
		if !cf.IsObject() {
			return b, fmt.Errorf("build.cacheFrom is %v; it must be an object with `images`", cf)
		}
		if plain(cf.ObjectValue()["images"]).IsNull() {
			return b, fmt.Errorf("build.cacheFrom is set without images; set build.cacheFrom.images to a list of image names")
		}
		if b.CacheFrom, err = stringList(cf.ObjectValue(), "images", "build.cacheFrom.images"); err != nil {
			return b, err
		}
	}
	return b, nil
}

func parseRegistry(v resource.PropertyValue) registryArgs {
	var r registryArgs
	v = plain(v)
	if !v.IsObject() {
		return r
	}
	r.Server, _ = stringField(v.ObjectValue(), "server", "registry.server")
	r.Username, _ = stringField(v.ObjectValue(), "username", "registry.username")
	r.Password, _ = stringField(v.ObjectValue(), "password", "registry.password")
	return r
}

func boolInput(m resource.PropertyMap, key string) bool {
	v := plain(m[resource.PropertyKey(key)])
	return v.IsBool() && v.BoolValue()
}

// registryOf returns the registry host of a fully qualified image name (getRegistryAddrFromImage).
func registryOf(name string) (string, error) {
	named, err := reference.ParseNamed(name)
	if err != nil {
		return "", fmt.Errorf("imageName is %q: %v. Pushing or cacheFrom needs a fully qualified name, "+
			"e.g. `docker.io/repository/image:tag`", name, err)
	}
	return reference.Domain(named), nil
}

func unmarshal(s *structpb.Struct, keepUnknowns bool) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{
		KeepUnknowns: keepUnknowns, KeepSecrets: true, SkipNulls: true, KeepOutputValues: false,
	})
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true})
}

// Check validates the inputs, applies defaults and records the context digest.
func (p *imageProvider) Check(ctx context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	urn := resource.URN(req.GetUrn())
	inputs, err := unmarshal(req.GetNews(), true)
	if err != nil {
		return nil, err
	}
	fail := func(prop, reason string) (*pulumirpc.CheckResponse, error) {
		return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: []*pulumirpc.CheckFailure{{Property: prop, Reason: reason}}}, nil
	}
	name := plain(inputs["imageName"])
	if name.IsNull() {
		return fail("imageName", "imageName is required: the image name, e.g. `registry.example.com/app:1.0` or `app:dev`")
	}
	if !name.IsComputed() && !name.IsString() {
		return fail("imageName", fmt.Sprintf("imageName is %v; it must be a string", name))
	}
	if inputs["build"].ContainsUnknowns() {
		// Not knowable yet (preview): nothing to hash.
		return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
	}
	b, err := parseBuild(inputs["build"])
	if err != nil {
		return fail("build", err.Error())
	}
	if _, statErr := os.Stat(b.Dockerfile); statErr != nil {
		if filepath.IsAbs(b.Dockerfile) {
			return fail("build.dockerfile", fmt.Sprintf("could not open dockerfile at absolute path %s: %v", b.Dockerfile, statErr))
		}
		if rel := filepath.Join(b.Context, b.Dockerfile); fileExists(rel) {
			return fail("build.dockerfile", fmt.Sprintf("could not open dockerfile at relative path %s "+
				"(relative to the program's directory). Try setting `dockerfile` to %q", b.Dockerfile, rel))
		}
		return fail("build.dockerfile", fmt.Sprintf("could not open dockerfile at relative path %s: %v", b.Dockerfile, statErr))
	}
	digest, err := hashContext(b.Context, b.Dockerfile)
	if err != nil {
		return fail("build.context", err.Error())
	}
	buildObj := resource.PropertyMap{}
	if bv := inputs["build"]; bv.IsObject() {
		buildObj = bv.ObjectValue().Copy()
	}
	buildObj["contextDigest"] = resource.NewStringProperty(digest)
	if plain(buildObj["platform"]).IsNull() {
		hostPlatform := "linux/" + runtime.GOARCH
		buildObj["platform"] = resource.NewStringProperty(hostPlatform)
		p.log(ctx, diag.Info, urn, fmt.Sprintf("Building your image for %s architecture.\nTo ensure you are "+
			"building for the correct platform, consider explicitly setting the `platform` field on ImageBuildOptions.",
			hostPlatform))
	}
	inputs["build"] = resource.NewObjectProperty(buildObj)

	needQualified := len(b.CacheFrom) > 0 || !boolInput(inputs, "skipPush")
	for _, c := range b.CacheFrom {
		if _, err := registryOf(c); err != nil {
			return fail("build.cacheFrom.images", err.Error())
		}
	}
	if needQualified && name.IsString() {
		if _, err := registryOf(name.StringValue()); err != nil {
			return fail("imageName", err.Error())
		}
	}
	out, err := marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

// oldInputs returns the inputs saved in state under __inputs (parseCheckpointObject).
func oldInputs(state resource.PropertyMap) resource.PropertyMap {
	v := plain(state["__inputs"])
	if v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

// Diff rebuilds (updates in place) when any input or the context digest changed.
func (p *imageProvider) Diff(ctx context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOlds(), true)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), true)
	if err != nil {
		return nil, err
	}
	d := oldInputs(olds).Diff(news)
	if d == nil {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for k := range d.Adds {
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_ADD}
	}
	for k := range d.Deletes {
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_DELETE}
	}
	for k, vd := range d.Updates {
		if k == "registry" && vd.Object != nil {
			// Only the server matters; credentials rotate without a rebuild (diffUpdates).
			if _, serverChanged := vd.Object.Updates["server"]; !serverChanged {
				continue
			}
		}
		detailed[string(k)] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE}
	}
	if len(detailed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	changed := make([]string, 0, len(detailed))
	for k := range detailed {
		changed = append(changed, k)
	}
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

func (p *imageProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	id, state, err := p.apply(ctx, resource.URN(req.GetUrn()), req.GetProperties(), req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: state}, nil
}

func (p *imageProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	_, state, err := p.apply(ctx, resource.URN(req.GetUrn()), req.GetNews(), req.GetPreview())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: state}, nil
}

// Read does no reconciliation, as in pulumi-docker: the state is returned as stored.
func (p *imageProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Inputs: req.GetInputs(), Properties: req.GetProperties()}, nil
}

// Delete removes nothing (pulumi-docker leaves built images in place).
func (p *imageProvider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// apply builds (and pushes) the image, or in a preview without buildOnPreview reports unknown build outputs.
// The state keeps the outputs plus the inputs under a secret __inputs (checkpointObject).
func (p *imageProvider) apply(ctx context.Context, urn resource.URN, props *structpb.Struct, preview bool) (string, *structpb.Struct, error) {
	inputs, err := unmarshal(props, true)
	if err != nil {
		return "", nil, fmt.Errorf("malformed Image inputs: %w", err)
	}
	name := plain(inputs["imageName"])
	b, berr := parseBuild(inputs["build"])
	reg := parseRegistry(inputs["registry"])
	outputs := resource.PropertyMap{
		"imageName":     inputs["imageName"],
		"baseImageName": inputs["imageName"],
	}
	if berr == nil && !inputs["build"].ContainsUnknowns() {
		rel, _, _ := relativeDockerfile(b.Context, b.Dockerfile)
		outputs["context"] = resource.NewStringProperty(b.Context)
		outputs["dockerfile"] = resource.NewStringProperty(rel)
		if b.Platform != "" {
			outputs["platform"] = resource.NewStringProperty(b.Platform)
		}
	}
	if reg.Server != "" {
		outputs["registryServer"] = resource.NewStringProperty(reg.Server)
	}
	if preview && (!boolInput(inputs, "buildOnPreview") || inputs.ContainsUnknowns()) {
		unknown := resource.MakeComputed(resource.NewStringProperty(""))
		outputs["repoDigest"] = unknown
		for _, k := range []resource.PropertyKey{"context", "dockerfile", "platform", "registryServer"} {
			if _, ok := outputs[k]; !ok {
				outputs[k] = unknown
			}
		}
		if !name.IsString() {
			outputs["imageName"], outputs["baseImageName"] = unknown, unknown
		}
		st, err := marshal(checkpoint(inputs, outputs))
		id := ""
		if name.IsString() {
			id = name.StringValue()
		}
		return id, st, err
	}
	if berr != nil {
		return "", nil, berr
	}
	if !name.IsString() {
		return "", nil, fmt.Errorf("imageName is %v; it must be a string", name)
	}
	// A preview (buildOnPreview) builds but never pushes; repoDigest is then the local image id.
	digest, err := p.buildAndPush(ctx, urn, name.StringValue(), b, reg, boolInput(inputs, "skipPush") || preview)
	if err != nil {
		return "", nil, err
	}
	outputs["repoDigest"] = resource.NewStringProperty(digest)
	st, err := marshal(checkpoint(inputs, outputs))
	return name.StringValue(), st, err
}

func checkpoint(inputs, outputs resource.PropertyMap) resource.PropertyMap {
	out := outputs.Copy()
	out["__inputs"] = resource.MakeSecret(resource.NewObjectProperty(inputs))
	return out
}

// dockerClient connects to the daemon the provider is configured for: docker:host (or DOCKER_HOST, else the
// local socket), over ssh:// with sshOpts, or tcp:// with TLS from caMaterial/certMaterial/keyMaterial or certPath.
func (p *imageProvider) dockerClient() (*client.Client, error) {
	p.mu.Lock()
	cfg := map[string]string{}
	for k, v := range p.config {
		cfg[k] = v
	}
	p.mu.Unlock()
	env := func(key, envVar string) string {
		if v := cfg[key]; v != "" {
			return v
		}
		return os.Getenv(envVar)
	}
	host := env("host", "DOCKER_HOST")
	if host == "" {
		host = defaultDockerHost
	}
	opts := []client.Opt{client.WithAPIVersionNegotiation()}
	if strings.HasPrefix(host, "ssh://") {
		var sshOpts []string
		if raw := cfg["sshOpts"]; raw != "" {
			if err := json.Unmarshal([]byte(raw), &sshOpts); err != nil {
				return nil, fmt.Errorf("docker:sshOpts is %q; it must be a list of strings, e.g. [\"-o\", \"Port=2222\"]", raw)
			}
		} else if v := os.Getenv("DOCKER_SSH_OPTS"); v != "" {
			sshOpts = strings.Fields(v)
		}
		helper, err := connhelper.GetConnectionHelperWithSSHOpts(host, sshOpts)
		if err != nil {
			return nil, fmt.Errorf("docker:host is %q: %w", host, err)
		}
		opts = append(opts,
			client.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: helper.Dialer}}),
			client.WithHost(helper.Host), client.WithDialContext(helper.Dialer))
		return client.NewClientWithOpts(opts...)
	}
	opts = append(opts, client.WithHost(host))
	ca, cert, key := env("caMaterial", "DOCKER_CA_MATERIAL"), env("certMaterial", "DOCKER_CERT_MATERIAL"), env("keyMaterial", "DOCKER_KEY_MATERIAL")
	if certPath := env("certPath", "DOCKER_CERT_PATH"); ca == "" && cert == "" && key == "" && certPath != "" {
		opts = append(opts, client.WithTLSClientConfig(filepath.Join(certPath, "ca.pem"),
			filepath.Join(certPath, "cert.pem"), filepath.Join(certPath, "key.pem")))
	} else if ca != "" || cert != "" || key != "" {
		if ca == "" || cert == "" || key == "" {
			return nil, errors.New("docker:caMaterial, docker:certMaterial and docker:keyMaterial must be set together")
		}
		tlsCfg, err := tlsMaterial(ca, cert, key)
		if err != nil {
			return nil, err
		}
		opts = append(opts, client.WithHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}), client.WithScheme("https"))
	}
	return client.NewClientWithOpts(opts...)
}

func tlsMaterial(ca, cert, key string) (*tls.Config, error) {
	dir, err := os.MkdirTemp("", "pulumi-docker-tls-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files := map[string]string{"ca.pem": ca, "cert.pem": cert, "key.pem": key}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
			return nil, err
		}
	}
	return tlsconfig.Client(tlsconfig.Options{
		CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"),
	})
}

// buildLog keeps the tail of a build's output for error messages.
type buildLog struct {
	lines []string
	part  string
}

const buildLogTail = 40

func (l *buildLog) add(s string) {
	s = l.part + s
	parts := strings.Split(s, "\n")
	l.part = parts[len(parts)-1]
	for _, line := range parts[:len(parts)-1] {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		l.lines = append(l.lines, line)
		if len(l.lines) > buildLogTail {
			l.lines = l.lines[len(l.lines)-buildLogTail:]
		}
	}
}

func (l *buildLog) tail() string {
	if l.part != "" {
		l.add("\n")
	}
	return strings.Join(l.lines, "\n")
}

// streamMessage is one JSON message of the /build response (jsonmessage.JSONMessage's wire form).
type streamMessage struct {
	Stream      string                    `json:"stream"`
	Status      string                    `json:"status"`
	ID          string                    `json:"id"`
	Error       string                    `json:"error"`
	ErrorDetail *struct{ Message string } `json:"errorDetail"`
	Aux         json.RawMessage           `json:"aux"`
}

// readBuildStream follows the build: BuildKit's progress arrives as base64 StatusResponse protobufs in
// "moby.buildkit.trace" aux messages (as pulumi-docker's processLogLine decodes them); the image id in
// a "moby.image.id" aux message.
func readBuildStream(r io.Reader, log *buildLog, progress func(string)) (string, error) {
	var imageID string
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for sc.Scan() {
		var m streamMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return "", errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return "", errors.New(m.Error)
		}
		if m.Stream != "" {
			log.add(m.Stream)
		}
		switch m.ID {
		case "moby.image.id":
			var aux struct{ ID string }
			if json.Unmarshal(m.Aux, &aux) == nil {
				imageID = aux.ID
			}
		case "moby.buildkit.trace":
			var raw []byte
			if json.Unmarshal(m.Aux, &raw) != nil {
				continue
			}
			var st controlapi.StatusResponse
			if proto.Unmarshal(raw, &st) != nil {
				continue
			}
			for _, v := range st.Vertexes {
				if v.Started != nil && !seen[v.Digest] && v.Name != "" {
					seen[v.Digest] = true
					log.add(v.Name + "\n")
					progress(v.Name)
				}
				if v.Error != "" {
					log.add(v.Name + ": " + v.Error + "\n")
				}
			}
			for _, l := range st.Logs {
				log.add(string(l.Msg))
			}
		}
	}
	return imageID, sc.Err()
}

// buildAndPush builds the image and returns its repo digest (the local image id when skipPush is set).
func (p *imageProvider) buildAndPush(ctx context.Context, urn resource.URN, name string, b buildArgs,
	reg registryArgs, skipPush bool) (string, error) {
	docker, err := p.dockerClient()
	if err != nil {
		return "", err
	}
	defer docker.Close()
	p.status(ctx, urn, "Building the image")

	rel, inContext, err := relativeDockerfile(b.Context, b.Dockerfile)
	if err != nil {
		return "", err
	}
	contextDir, err := clibuild.ResolveAndValidateContextPath(b.Context)
	if err != nil {
		return "", fmt.Errorf("build.context is %q: %w", b.Context, err)
	}
	patterns, err := readIgnore(ignoreFile(contextDir, b.Dockerfile))
	if err != nil {
		return "", err
	}
	// Keep the Dockerfile (and the ignore file) in the sent context so the daemon can read them.
	patterns = clibuild.TrimBuildFilesFromExcludes(patterns, rel, false)
	tar, err := archive.TarWithOptions(contextDir, &archive.TarOptions{
		ExcludePatterns: patterns,
		ChownOpts:       &archive.ChownOpts{UID: 0, GID: 0},
	})
	if err != nil {
		return "", err
	}
	dockerfileName := filepath.ToSlash(rel)
	if !inContext {
		df, err := os.Open(b.Dockerfile)
		if err != nil {
			return "", err
		}
		tar, dockerfileName, err = clibuild.AddDockerfileToBuildContext(df, tar)
		if err != nil {
			return "", err
		}
	}
	defer tar.Close()

	cfg := loadDockerConfig()
	authConfigs := map[string]registry.AuthConfig{}
	if creds, err := cfg.GetAllCredentials(); err == nil {
		for k, c := range creds {
			authConfigs[k] = registry.AuthConfig(c)
		}
	}
	var pushAuth registry.AuthConfig
	if len(b.CacheFrom) > 0 || !skipPush {
		pushAuth, err = registryAuth(name, reg, cfg)
		if err != nil {
			return "", err
		}
		authConfigs[pushAuth.ServerAddress] = pushAuth
	}

	opts := build.ImageBuildOptions{
		Dockerfile:  dockerfileName,
		Tags:        []string{name},
		CacheFrom:   b.CacheFrom,
		BuildArgs:   b.Args,
		Target:      b.Target,
		Platform:    b.Platform,
		NetworkMode: b.Network,
		ExtraHosts:  b.AddHosts,
		Version:     b.BuilderVersion,
		AuthConfigs: authConfigs,
	}
	if b.BuilderVersion == build.BuilderBuildKit {
		sess, err := session.NewSession(ctx, "")
		if err != nil {
			return "", fmt.Errorf("starting a BuildKit session: %w", err)
		}
		sess.Allow(authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{ConfigFile: cfg}))
		sessCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			_ = sess.Run(sessCtx, func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
				return docker.DialHijack(ctx, "/session", proto, meta)
			})
		}()
		defer sess.Close()
		opts.SessionID = sess.ID()
	}
	resp, err := docker.ImageBuild(ctx, tar, opts)
	if err != nil {
		return "", fmt.Errorf("building %s: %w", name, err)
	}
	defer resp.Body.Close()
	log := &buildLog{}
	imageID, err := readBuildStream(resp.Body, log, func(step string) { p.status(ctx, urn, step) })
	if err != nil {
		return "", fmt.Errorf("building %s failed: %v\n--- build log (last %d lines) ---\n%s", name, err, buildLogTail, log.tail())
	}
	inspect, err := docker.ImageInspect(ctx, name)
	if err != nil {
		return "", fmt.Errorf("inspecting the built image %s: %w", name, err)
	}
	if imageID == "" {
		imageID = inspect.ID
	}
	if skipPush {
		return inspect.ID, nil
	}

	p.status(ctx, urn, "Pushing Image to the registry")
	encoded, err := json.Marshal(pushAuth)
	if err != nil {
		return "", err
	}
	out, err := docker.ImagePush(ctx, name, dockerimage.PushOptions{RegistryAuth: base64.URLEncoding.EncodeToString(encoded)})
	if err != nil {
		return "", fmt.Errorf("pushing %s: %w", name, err)
	}
	defer out.Close()
	pushLog := &buildLog{}
	pushed, err := readPushStream(out, pushLog)
	if err != nil {
		return "", fmt.Errorf("pushing %s failed: %v\n%s", name, err, pushLog.tail())
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("imageName is %q: %w", name, err)
	}
	if pushed != "" {
		return pushedRepoDigest(named, pushed)
	}
	p.log(ctx, diag.Warning, urn, "Push completed without reporting a digest; falling back to local image inspect")
	inspect, err = docker.ImageInspect(ctx, imageID)
	if err != nil {
		return "", err
	}
	return ownRepoDigest(named, inspect.RepoDigests), nil
}

// readPushStream follows a push and returns the digest the registry reported (the PushResult aux message).
func readPushStream(r io.Reader, log *buildLog) (string, error) {
	var pushed string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for sc.Scan() {
		var m streamMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return "", errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return "", errors.New(m.Error)
		}
		if m.Status != "" {
			log.add(m.Status + "\n")
		}
		var result struct{ Digest string }
		if len(m.Aux) > 0 && json.Unmarshal(m.Aux, &result) == nil && result.Digest != "" {
			pushed = result.Digest
		}
	}
	return pushed, sc.Err()
}

// pushedRepoDigest is <repository>@<digest> for the image's own repository (parseRepoDigestFromAux).
func pushedRepoDigest(named reference.Named, pushed string) (string, error) {
	d, err := digest.Parse(pushed)
	if err != nil {
		return "", fmt.Errorf("the registry reported digest %q, which is not a digest: %w", pushed, err)
	}
	ref, err := reference.WithDigest(reference.TrimNamed(named), d)
	if err != nil {
		return "", err
	}
	return ref.String(), nil
}

// ownRepoDigest picks, among an image's repo digests (one per repository it was pushed to), the one of
// the image's own repository; "<none>@<none>" when there is none (getRepoDigest).
func ownRepoDigest(named reference.Named, repoDigests []string) string {
	for _, d := range repoDigests {
		ref, err := reference.ParseNormalizedNamed(d)
		if err == nil && ref.Name() == named.Name() {
			return ref.String()
		}
	}
	return "<none>@<none>"
}

// registryAuth picks credentials for pushing: the registry input's username/password, else the docker
// config's entry for the image's registry (getRegistryAuth).
func registryAuth(name string, reg registryArgs, cfg *configfile.ConfigFile) (registry.AuthConfig, error) {
	server := reg.Server
	if server == "" {
		var err error
		if server, err = registryOf(name); err != nil {
			return registry.AuthConfig{}, err
		}
	}
	server = strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://")
	switch server {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		server = "https://index.docker.io/v1/"
	}
	if reg.Username != "" && reg.Password != "" {
		return registry.AuthConfig{Username: reg.Username, Password: reg.Password, ServerAddress: server}, nil
	}
	c, err := cfg.GetAuthConfig(server)
	if err != nil {
		return registry.AuthConfig{}, err
	}
	return registry.AuthConfig(c), nil
}
