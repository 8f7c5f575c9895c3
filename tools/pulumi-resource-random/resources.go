package main

import (
	"context"
	"errors"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

const randomPkg = "random"

// providerInfo is pulumi-random 4.21.1's mapping (provider/resources.go, Provider()): every
// random_<name> resource becomes random:index/random<Name>:Random<Name>, RandomString states without
// a schema version count as version 1, and RandomBytes takes its id from base64. Left out: docs and
// SDK-generation settings. The bridge metadata starts empty and is filled in-process by the schema
// generation at start-up (pulumi-random embeds the file tfgen writes; its auto-alias history holds
// only the current tokens, which MustApplyAutoAliases records again).
func providerInfo(version string) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:       pf.ShimProvider(shim.NewProvider()),
		Name:    randomPkg,
		Version: version,
		// The bridge's metadata store; tfgen fills it while it renders the schema (main.go).
		MetadataInfo: tfbridge.NewProviderMetadata(nil),
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_string": {PreStateUpgradeHook: stringStatesWithoutVersionAreV1},
			"random_bytes":  {ComputeID: randomBytesID},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	makeToken := func(module, name string) (string, error) {
		return tokens.MakeStandard(randomPkg)(module, "Random"+name)
	}
	prov.MustComputeTokens(tokens.SingleModule("random_", "index", makeToken))
	prov.MustApplyAutoAliases()
	return prov
}

// stringStatesWithoutVersionAreV1: pulumi-random#258 left RandomString states without a version marker.
func stringStatesWithoutVersionAreV1(args tfbridge.PreStateUpgradeHookArgs) (int64, resource.PropertyMap, error) {
	if args.PriorStateSchemaVersion == 0 {
		return 1, args.PriorState, nil
	}
	return args.PriorStateSchemaVersion, args.PriorState, nil
}

// randomBytesID: RandomBytes' id is its base64 value (unwrapped: ids cannot be secret).
func randomBytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	b, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes: no base64 property in the state")
	}
	if b.IsSecret() {
		b = b.SecretValue().Element
	}
	if !b.IsString() {
		return "", errors.New("random_bytes: base64 is not a string")
	}
	return resource.ID(b.StringValue()), nil
}
