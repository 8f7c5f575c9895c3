// Package shim exposes the upstream Terraform docker provider's SDKv2 provider to the Pulumi bridge.
//
// The upstream keeps its provider in an internal package. This module's path sits under the upstream
// module's path, so Go's internal-package rule lets it import that package. The same arrangement is
// used by pulumi/pulumi-docker (provider/shim/shim.go, NewProvider) and pulumi/pulumi-random
// (provider/shim).
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// UpstreamVersion is the version string handed to the upstream provider: it names the upstream
// commit this build carries.
const UpstreamVersion = "0.0.0-20260916201441-96d331c98ff4"

// NewProvider returns the upstream SDKv2 provider (docker_container, docker_image, docker_network,
// docker_volume, docker_tag, ...). The upstream's plugin-framework half (docker_compose and a few data
// sources and actions) is not bridged.
func NewProvider() *schema.Provider {
	return provider.New(UpstreamVersion)()
}
