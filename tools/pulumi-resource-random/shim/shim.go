// Package shim exposes the upstream terraform-provider-random (a terraform-plugin-framework provider)
// to the Pulumi bridge.
//
// The upstream keeps its provider in an internal package; this module's path sits under the upstream
// module's path, so Go's internal-package rule lets it import that package. pulumi/pulumi-random 4.21.1
// does the same (provider/shim/shim.go).
package shim

import (
	tfpf "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream provider: random_password, random_string, random_id, random_integer,
// random_pet, random_shuffle, random_uuid, random_bytes.
func NewProvider() tfpf.Provider {
	return provider.New()
}
