// Command pulumi-resource-random is the random provider of pulumi-random 4.21.1 rebuilt from Go modules:
// the upstream terraform-provider-random (the commit pulumi-random 4.21.1 pins, see shim/) behind the
// Pulumi Terraform bridge's plugin-framework support, with pulumi-random's token mapping (resources.go).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
)

// Version is what GetPluginInfo reports: pulumi-random's release number, so that the engine, asked by
// pulumi_random 4.21.1 for random v4.21.1, takes this binary.
var Version = "4.21.1"

// metadata renders the package schema in-process with the bridge's tfgen from the upstream's in-memory
// schema (XInMemoryDocs: no docs are read), which keeps the build a plain `go build`.
func metadata(info tfbridge.ProviderInfo) (pf.ProviderMetadata, error) {
	res, err := pftfgen.GenerateSchema(context.Background(), pftfgen.GenerateSchemaOptions{
		ProviderInfo:    info,
		DiagnosticsSink: diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never}),
		XInMemoryDocs:   true,
	})
	if err != nil {
		return pf.ProviderMetadata{}, fmt.Errorf("generating the random provider schema: %w", err)
	}
	return res.ProviderMetadata, nil
}

func main() {
	info := providerInfo(Version)
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "--version", "-version", "version":
			fmt.Println(Version)
			return
		case "--schema", "-schema", "schema":
			meta, err := metadata(info)
			if err != nil {
				cmdutil.ExitError(err.Error())
			}
			os.Stdout.Write(meta.PackageSchema)
			return
		}
	}
	meta, err := metadata(info)
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
	pf.Main(context.Background(), randomPkg, info, meta)
}
