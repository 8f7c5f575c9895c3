// Command pulumi-language-python is a stand-in for Pulumi's Python language host.
//
// The official host (module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) ships
// with the Pulumi CLI. This program implements the same LanguageRuntime gRPC service for the parts a
// Python program, the Automation API and a Python policy pack use, behaviour by behaviour after
// sdk/python/cmd/pulumi-language-python/main.go in pulumi/pulumi (functions named in the comments
// below), on top of the toolchain package that ships in github.com/pulumi/pulumi/sdk/v3
// (python/toolchain). Code generation, packing and templates are not implemented: they answer
// Unimplemented.
//
// Like the official host it runs programs through the pulumi-language-python-exec script, which
// scripts/build-tools copies next to this binary from the same sdk/v3 module version.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/blang/semver"
	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/contract"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// The executor script, expected next to this binary (as in the official host's main).
	execScriptName = "pulumi-language-python-exec"
	// The Python SDK reads the stack's configuration from this variable (pulumi.runtime.get_config_env).
	configEnvVar = "PULUMI_CONFIG"
	// ... and the list of secret configuration keys from this one (get_config_secret_keys_env).
	configSecretKeysEnvVar = "PULUMI_CONFIG_SECRET_KEYS"
	// The exec script exits with this code after it has shown the user an actionable message; the
	// host then bails without adding an error of its own.
	exitAfterUserActionableMessage = 32
)

// The oldest Python the official host accepts without a warning (validateVersion).
var minimumPython = semver.MustParse("3.7.0")

func main() {
	var tracing, givenExecutor string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.StringVar(&givenExecutor, "use-executor", "", "Use the given program as the executor")
	// Accepted and ignored, as the official host does: these now come from Pulumi.yaml via ProgramInfo.
	flag.String("virtualenv", "", "[obsolete] Virtual environment path to use")
	flag.String("root", "", "[obsolete] Project root path to use")
	flag.String("typechecker", "", "[obsolete] Use a typechecker to type check")
	flag.String("toolchain", "pip", "[obsolete] Select the package manager to use")
	flag.Parse()
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", tracing)

	executor := givenExecutor
	if executor == "" {
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
		}
		executor = filepath.Join(filepath.Dir(self), execScriptName)
		if _, err := os.Stat(executor); err != nil {
			cmdutil.Exit(fmt.Errorf("missing executor %s: %w", executor, err))
		}
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(stop)
	}()
	if engineAddress != "" {
		// Exit when the engine goes away (official main: rpcutil.Healthcheck).
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{exec: executor, engineAddress: engineAddress, tracing: tracing})
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec          string
	engineAddress string
	tracing       string
}

// parseOptions reads runtime.options of Pulumi.yaml (or PulumiPolicy.yaml) as the official host's
// parseOptions does: virtualenv, typechecker (mypy, pyright), toolchain (pip, poetry, uv).
func parseOptions(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	raw := info.GetOptions().AsMap()
	str := func(key string) (string, bool, error) {
		v, ok := raw[key]
		if !ok {
			return "", false, nil
		}
		s, isString := v.(string)
		if !isString {
			return "", true, fmt.Errorf("runtime option %s must be a string, got %v", key, v)
		}
		return s, true, nil
	}
	if v, ok, err := str("virtualenv"); err != nil {
		return opts, err
	} else if ok {
		opts.Virtualenv = v
	}
	if v, ok, err := str("typechecker"); err != nil {
		return opts, err
	} else if ok {
		switch v {
		case "mypy":
			opts.Typechecker = toolchain.TypeCheckerMypy
		case "pyright":
			opts.Typechecker = toolchain.TypeCheckerPyright
		default:
			return opts, fmt.Errorf("runtime option typechecker is %q; allowed: mypy, pyright", v)
		}
	}
	if v, ok, err := str("toolchain"); err != nil {
		return opts, err
	} else if ok {
		switch v {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return opts, fmt.Errorf("runtime option toolchain is %q; allowed: pip, poetry, uv", v)
		}
	}
	return opts, nil
}

// Handshake records the engine's address and exits with the engine (official Handshake).
func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	hctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	if err := rpcutil.Healthcheck(hctx, h.engineAddress, 5*time.Minute, cancel); err != nil {
		cancel()
		return nil, fmt.Errorf("could not start health check of the engine: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetRequiredPlugins is superseded by GetRequiredPackages, as in the official host.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return nil, status.Errorf(codes.Unimplemented, "method GetRequiredPlugins not implemented")
}

// engineWriters returns writers that log to the engine as ephemeral messages (createEngineWriters).
func (h *host) engineWriters(ctx context.Context) (io.Writer, io.Writer, io.Closer, error) {
	conn, err := grpc.NewClient(h.engineAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("language host could not make connection to engine: %w", err)
	}
	client := pulumirpc.NewEngineClient(conn)
	stream := rand.Int31() //nolint:gosec // a stream id, not a secret
	return &engineLog{ctx, client, stream, pulumirpc.LogSeverity_INFO},
		&engineLog{ctx, client, stream, pulumirpc.LogSeverity_ERROR}, conn, nil
}

type engineLog struct {
	ctx      context.Context
	client   pulumirpc.EngineClient
	stream   int32
	severity pulumirpc.LogSeverity
}

func (w *engineLog) Write(p []byte) (int, error) {
	_, err := w.client.Log(w.ctx, &pulumirpc.LogRequest{
		Message: strings.ToValidUTF8(string(p), "\uFFFD"), Ephemeral: true, StreamId: w.stream, Severity: w.severity,
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// GetRequiredPackages creates the virtualenv when missing, then reports one resource plugin per
// installed Pulumi package (official GetRequiredPackages, determinePulumiPackages,
// determinePackageDependency). For pulumi-random 4.21.1 that is random v4.21.1; the CLI finds a
// pulumi-resource-random on PATH before it would download anything.
func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	stdout, stderr, closer, err := h.engineWriters(ctx)
	if err != nil {
		return nil, err
	}
	defer contract.IgnoreClose(closer)
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, true, stdout, stderr); err != nil {
		return nil, err
	}
	validateVersion(ctx, tc)

	pkgs, err := listPackagesWithLocation(ctx, tc)
	if err != nil {
		return nil, err
	}
	var deps []*pulumirpc.PackageDependency
	for _, p := range pkgs {
		dep, err := packageDependency(p)
		if err != nil {
			return nil, err
		}
		if dep != nil {
			deps = append(deps, dep)
		}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

type pythonPackage struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Location string `json:"location"`
}

// Packages that are known to have no plugin (official packagesWithoutPlugins).
var packagesWithoutPlugins = map[string]bool{
	"pulumi-policy": true, "pulumi_policy": true, "pulumi-esc-sdk": true, "pulumi_esc_sdk": true,
}

// listPackagesWithLocation runs `python -m pip list -v --format json`, whose verbose form carries each
// package's install location (the official host's pip-based determinePulumiPackages). pip may print a
// non-JSON trailer after the document, so only the first JSON value is decoded.
func listPackagesWithLocation(ctx context.Context, tc toolchain.Toolchain) ([]pythonPackage, error) {
	cmd, err := tc.ModuleCommand(ctx, "pip", "list", "-v", "--format", "json")
	if err != nil {
		return nil, err
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("calling `%s`: %w", strings.Join(cmd.Args, " "), err)
	}
	var pkgs []pythonPackage
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&pkgs); err != nil {
		return nil, fmt.Errorf("parsing `%s` output: %w", strings.Join(cmd.Args, " "), err)
	}
	return pkgs, nil
}

// pulumiPluginJSON reads <location>/<module>/pulumi-plugin.json; nil when the package has none.
func pulumiPluginJSON(p pythonPackage) (*plugin.PulumiPluginJSON, error) {
	module := strings.ReplaceAll(p.Name, "-", "_")
	pj, err := plugin.LoadPulumiPluginJSON(filepath.Join(p.Location, module, "pulumi-plugin.json"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	return pj, err
}

// packageDependency maps a Pulumi Python package to the resource plugin it needs (official
// isPulumiPackage + determinePackageDependency): pulumi-plugin.json wins; otherwise the name without
// its "pulumi-" prefix and the package version translated to semver. Returns nil for packages that
// are not Pulumi packages or declare no plugin.
func packageDependency(p pythonPackage) (*pulumirpc.PackageDependency, error) {
	if packagesWithoutPlugins[p.Name] {
		return nil, nil
	}
	pj, err := pulumiPluginJSON(p)
	if err != nil {
		return nil, err
	}
	isPulumi := pj != nil || strings.HasPrefix(p.Name, "pulumi-") || strings.HasPrefix(p.Name, "pulumi_")
	// The SDK itself ("pulumi") has no plugin and no prefix, so it never gets here.
	if !isPulumi {
		return nil, nil
	}
	var name, ver, server string
	var param *pulumirpc.PackageParameterization
	if pj != nil {
		if !pj.Resource {
			return nil, nil
		}
		name, ver, server = pj.Name, pj.Version, pj.Server
		if pj.Parameterization != nil {
			param = &pulumirpc.PackageParameterization{
				Name: pj.Parameterization.Name, Version: pj.Parameterization.Version, Value: pj.Parameterization.Value,
			}
		}
	}
	if name == "" {
		name = strings.TrimPrefix(p.Name, "pulumi-")
	}
	if ver == "" {
		ver, err = pluginVersion(p.Version)
		if err != nil {
			// As upstream: a version that cannot be translated means the plugin is skipped.
			logging.V(5).Infof("cannot determine plugin version of %s %s: %v", p.Name, p.Version, err)
			return nil, nil
		}
	}
	if !strings.HasPrefix(ver, "v") {
		ver = "v" + ver
	}
	return &pulumirpc.PackageDependency{
		Name: name, Version: ver, Kind: "resource", Server: server, Parameterization: param,
	}, nil
}

// pluginVersion translates a PEP 440 version into the plugin's semver, by the rules the official
// determinePluginVersion documents: at least three numeric segments (zero padded); aN, bN, rcN become
// -alpha.N, -beta.N, -rc.N; .postN and .devN become +postN, +devN (+postNdevM together); epochs and
// anything else are refused.
func pluginVersion(v string) (string, error) {
	if v == "" {
		return "", errors.New("empty version")
	}
	for i := 0; i < len(v); i++ {
		if v[i] > 127 {
			return "", fmt.Errorf("byte %d is not ASCII", i)
		}
	}
	digits := func(s string) (string, string) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return s[:i], s[i:]
	}
	if n, rest := digits(v); n != "" && strings.HasPrefix(rest, "!") {
		return "", errors.New("epochs are not supported")
	}
	var segs []string
	rest := v
	for {
		n, r := digits(rest)
		if n == "" {
			break
		}
		segs = append(segs, n)
		rest = r
		// A dot continues the release only when a number follows it.
		if len(rest) > 1 && rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' {
			rest = rest[1:]
			continue
		}
		break
	}
	if len(segs) == 0 {
		return "", fmt.Errorf("%q does not start with a release number", v)
	}
	for len(segs) < 3 {
		segs = append(segs, "0")
	}
	out := strings.Join(segs, ".")
	var n string
	switch {
	case strings.HasPrefix(rest, "rc"):
		n, rest = digits(rest[2:])
		out += "-rc." + n
	case strings.HasPrefix(rest, "a"):
		n, rest = digits(rest[1:])
		out += "-alpha." + n
	case strings.HasPrefix(rest, "b"):
		n, rest = digits(rest[1:])
		out += "-beta." + n
	}
	build := ""
	if strings.HasPrefix(rest, ".post") {
		n, rest = digits(rest[len(".post"):])
		build = "post" + n
	}
	if strings.HasPrefix(rest, ".dev") {
		n, rest = digits(rest[len(".dev"):])
		build += "dev" + n
	}
	if rest != "" {
		return "", fmt.Errorf("'%s' still unparsed", rest)
	}
	if build != "" {
		out += "+" + build
	}
	return out, nil
}

// validateVersion warns on stderr (shown by the CLI as a diagnostic) when Python is too old or its
// version cannot be read (official validateVersion).
func validateVersion(ctx context.Context, tc toolchain.Toolchain) {
	cmd, err := tc.Command(ctx, "--version")
	if err != nil {
		fmt.Fprintf(os.Stderr, "Failed to create python version command: %s\n", err)
		return
	}
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "Failed to resolve python version command: %s\n", err)
		return
	}
	v := strings.TrimSpace(strings.TrimPrefix(string(out), "Python "))
	parsed, err := toolchain.ParsePythonVersion(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Failed to parse python version: '%s'\n", v)
		return
	}
	if parsed.LT(minimumPython) {
		fmt.Fprintf(os.Stderr, "Pulumi does not support Python %s. Please upgrade to at least %s\n", parsed, minimumPython)
	}
}

// Run executes the program through the exec script with the project's Python (official Run): the
// script's arguments come from constructArguments, the configuration goes in PULUMI_CONFIG and the
// secret keys in PULUMI_CONFIG_SECRET_KEYS, an optional type checker runs first, and exit code 32
// means the program already told the user what went wrong.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if h.engineAddress == "" {
		return nil, errors.New("when debugging or running explicitly, must call Handshake before Run")
	}
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "attaching a debugger is not supported by this language host"}, nil
	}
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	args := append([]string{h.exec}, h.scriptArguments(req)...)

	configJSON := ""
	if cfg := req.GetConfig(); cfg != nil {
		b, err := json.Marshal(cfg)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		configJSON = string(b)
	}
	secretKeysJSON := "[]"
	if keys := req.GetConfigSecretKeys(); keys != nil {
		b, err := json.Marshal(keys)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
		}
		secretKeysJSON = string(b)
	}

	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if configJSON != "" {
		env = append(env, configEnvVar+"="+configJSON)
	}
	cmd.Env = append(env, configSecretKeysEnvVar+"="+secretKeysJSON)

	if err := typecheck(ctx, tc, opts, req.GetInfo().GetProgramDirectory()); err != nil {
		return nil, err
	}

	if err := cmd.Run(); err != nil {
		// Python may crash before flushing; make sure what it wrote reaches the engine.
		contract.IgnoreError(os.Stdout.Sync())
		contract.IgnoreError(os.Stderr.Sync())
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				switch ws.ExitStatus() {
				case 0:
					err = fmt.Errorf("program exited unexpectedly: %w", exitErr)
				case exitAfterUserActionableMessage:
					return &pulumirpc.RunResponse{Bail: true}, nil
				default:
					err = fmt.Errorf("program exited with non-zero exit code: %d", ws.ExitStatus())
				}
			} else {
				err = fmt.Errorf("program exited unexpectedly: %w", exitErr)
			}
		} else {
			err = fmt.Errorf("problem executing program (could not run language executor): %w", err)
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// typecheck runs `python -m mypy|pyright <program dir>` when runtime.options.typechecker asks for it.
func typecheck(ctx context.Context, tc toolchain.Toolchain, opts toolchain.PythonOptions, programDir string) error {
	var name string
	switch opts.Typechecker {
	case toolchain.TypeCheckerMypy:
		name = "mypy"
	case toolchain.TypeCheckerPyright:
		name = "pyright"
	default:
		return nil
	}
	args := []string{"-m", name}
	if name == "mypy" {
		venv, err := tc.VirtualEnvPath(ctx)
		if err != nil {
			return err
		}
		if venv != "" {
			rel, err := filepath.Rel(programDir, venv)
			if err != nil {
				return err
			}
			args = append(args, "--exclude", rel)
		}
	}
	cmd, err := tc.Command(ctx, append(args, programDir)...)
	if err != nil {
		return err
	}
	cmd.Dir, cmd.Stdout, cmd.Stderr = programDir, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	return nil
}

// scriptArguments builds the exec script's command line (official constructArguments); empty values
// are left out, and the entry point ("." for __main__.py) and program arguments come last.
func (h *host) scriptArguments(req *pulumirpc.RunRequest) []string {
	var args []string
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	add("organization", req.GetOrganization())
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// InstallDependencies creates or refreshes the virtualenv from requirements.txt with the configured
// toolchain, streaming its output (official InstallDependencies). Plugins (policy packs) with pip
// and no virtualenv option get "venv", as upstream.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	if req.GetIsPlugin() && pipWithoutVenv(opts) {
		opts.Virtualenv = "venv"
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.InstallDependencies(server.Context(), req.GetInfo().GetProgramDirectory(),
		req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func pipWithoutVenv(opts toolchain.PythonOptions) bool {
	return (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) && opts.Virtualenv == ""
}

// About reports the Python executable and version (official About).
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		var err error
		if opts, err = parseOptions(req.GetInfo()); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: info.PythonExecutable, Version: info.PythonVersion.String()}, nil
}

// GetProgramDependencies lists the installed Python packages (official GetProgramDependencies).
func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(pkgs))
	for i, p := range pkgs {
		deps[i] = &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RunPlugin runs a Python plugin as the official host's RunPlugin does (pulumi/pulumi v3.260.0,
// sdk/python/cmd/pulumi-language-python/main.go). A policy pack (kind "analyzer") runs as
// `python -u -m pulumi.policy <args...> <pack dir>` from the pack's directory, in the Python its
// PulumiPolicy.yaml names (no "venv" default: packs may use the ambient Python), with PULUMI_STACK,
// PULUMI_PROJECT, PULUMI_ORGANIZATION, PULUMI_DRY_RUN and PULUMI_CONFIG taken from the engine's
// ConfigureStack call through sdk/v3's PolicyProxy. Other plugins run in their virtualenv ("venv"
// by default) from the engine's working directory: `python <dir> <args...>`, or
// `python -m pulumi.run.plugin <project name> <args...>` for a buildable package without
// __main__.py. Output streams back to the engine and the exit code is sent last.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	isPolicyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	if !isPolicyPack && pipWithoutVenv(opts) {
		opts.Virtualenv = "venv"
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	cmd, err := pluginCommand(ctx, tc, opts.Root, req)
	if err != nil {
		return err
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.GetPwd()
	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		// Packs have always run from their own directory; the pack learns its stack from the
		// environment, which the engine only tells a policy plugin (ConfigureStack): the proxy takes
		// that call, then hands the connection over to the pack once it has started.
		cmd.Dir = req.GetInfo().GetProgramDirectory()
		if proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		env, err := policyPackEnv(stack)
		if err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, env...)
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	run := cmd.Run
	if proxy != nil {
		run = func() error {
			if err := cmd.Start(); err != nil {
				return err
			}
			if err := proxy.Attach(ctx, cmd); err != nil {
				return fmt.Errorf("could not attach policy pack proxy: %w", err)
			}
			return nil
		}
	}
	if err := run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(ws.ExitStatus())}, //nolint:gosec
				})
			}
			return fmt.Errorf("program exited unexpectedly: %w", exitErr)
		}
		return fmt.Errorf("problem executing plugin program (could not run language executor): %w", err)
	}
	return closer.Close()
}

// pluginCommand is the official host's choice of command line: a directory without __main__.py
// runs through pulumi.run.plugin when the plugin's Pulumi SDK has it; otherwise a policy pack runs
// through pulumi.policy with the pack directory last, and any other plugin as `python <dir>`.
func pluginCommand(ctx context.Context, tc toolchain.Toolchain, root string, req *pulumirpc.RunPluginRequest,
) (*exec.Cmd, error) {
	_, statErr := os.Stat(filepath.Join(root, "__main__.py"))
	if statErr != nil && !os.IsNotExist(statErr) {
		return nil, fmt.Errorf("looking for __main__.py: %w", statErr)
	}
	hasMainPy := statErr == nil
	hasPluginRunModule := true
	check, err := tc.Command(ctx, "-c", "import pulumi.run.plugin")
	if err != nil {
		return nil, err
	}
	if out, err := check.CombinedOutput(); err != nil && strings.Contains(string(out), "ModuleNotFoundError") {
		hasPluginRunModule = false
	}
	programDir := req.GetInfo().GetProgramDirectory()
	switch {
	case hasPluginRunModule && !hasMainPy:
		buildable, err := toolchain.IsBuildablePackage(root)
		if err != nil {
			return nil, fmt.Errorf("checking if plugin is a buildable package: %w", err)
		}
		if !buildable {
			return nil, errors.New("plugin is not runnable, it provides neither __main__.py nor a buildable pyproject.toml")
		}
		pyproject, err := toolchain.LoadPyproject(root)
		if err != nil {
			return nil, fmt.Errorf("loading pyproject: %w", err)
		}
		return tc.ModuleCommand(ctx, "pulumi.run.plugin", append([]string{pyproject.Project.Name}, req.GetArgs()...)...)
	case req.GetKind() == string(apitype.AnalyzerPlugin):
		args := append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
		return tc.Command(ctx, append(args, programDir)...)
	default:
		return tc.Command(ctx, append([]string{programDir}, req.GetArgs()...)...)
	}
}

// policyPackEnv is what pulumi-policy's entry point reads to configure the Pulumi runtime: the
// variables the official host sets from the engine's ConfigureStack request (empty values left out).
func policyPackEnv(stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if stack == nil {
		return nil, nil
	}
	var env []string
	add := func(key, value string) {
		if value != "" {
			env = append(env, key+"="+value)
		}
	}
	add("PULUMI_ORGANIZATION", stack.GetOrganization())
	add("PULUMI_PROJECT", stack.GetProject())
	add("PULUMI_STACK", stack.GetStack())
	add("PULUMI_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
	if stack.Config != nil {
		config, err := json.Marshal(stack.GetConfig())
		if err != nil {
			return nil, fmt.Errorf("could not marshal stack configuration: %w", err)
		}
		add(configEnvVar, string(config))
	}
	return env, nil
}
