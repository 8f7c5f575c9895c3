// Command pulumi-resource-docker is a stand-in for the official Pulumi docker provider (pulumi-docker 5.1.0),
// built from Go modules: the Pulumi Terraform bridge over the upstream kreuzwerker/terraform-provider-docker
// (see shim/), plus a native implementation of docker:index/image:Image (image.go), routed as pulumi-docker's
// own hybrid provider does (hybrid.go).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	"github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is what GetPluginInfo reports. It is pulumi-docker's release number so that the engine, asked by
// pulumi_docker 5.1.0 for docker v5.1.0, accepts this binary; the code it carries is described in tools/README.md.
var Version = "5.1.0"

// generateSchema renders the Pulumi package schema in-process with the bridge's tfgen (the same generator that
// `pulumi-tfgen-docker schema` runs), from the upstream's in-memory schema descriptions only (XInMemoryDocs:
// no upstream repository or docs folder is read). Doing it at start-up keeps the build a plain `go build`.
func generateSchema(info tfbridge.ProviderInfo) ([]byte, error) {
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	res, err := tfgen.GenerateSchemaWithOptions(tfgen.GenerateSchemaOptions{
		ProviderInfo:    info,
		DiagnosticsSink: sink,
		XInMemoryDocs:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("generating the docker provider schema: %w", err)
	}
	return json.Marshal(res.PackageSpec)
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "--version", "-version", "version":
			fmt.Println(Version)
			return
		case "--schema", "-schema", "schema":
			b, err := generateSchema(providerInfo(Version))
			if err != nil {
				cmdutil.ExitError(err.Error())
			}
			os.Stdout.Write(b)
			return
		}
	}
	ctx := context.Background()
	info := providerInfo(Version)
	schemaBytes, err := generateSchema(info)
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
	info.P.InitLogging(ctx)
	err = provider.Main(dockerPkg, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		bridged := tfbridge.NewProvider(ctx, host, dockerPkg, Version, info.P, info, schemaBytes)
		return &hybridProvider{
			ResourceProviderServer: bridged,
			image:                  newImageProvider(host, Version),
		}, nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}
