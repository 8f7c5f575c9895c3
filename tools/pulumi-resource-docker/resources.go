package main

import (
	"unicode"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// The token layout, renames and extra types below follow pulumi/pulumi-docker provider/resources.go
// (Provider): package "docker", module "index", file name = resource name with a lower-case first letter.
const (
	dockerPkg = "docker"
	dockerMod = "index"

	imageToken = "docker:index/image:Image"
)

func dockerResource(res string) tokens.Type {
	fn := string(unicode.ToLower(rune(res[0]))) + res[1:]
	return tokens.Type(dockerPkg + ":" + dockerMod + "/" + fn + ":" + res)
}

func dockerDataSource(res string) tokens.ModuleMember {
	fn := string(unicode.ToLower(rune(res[0]))) + res[1:]
	return tokens.ModuleMember(dockerPkg + ":" + dockerMod + "/" + fn + ":" + res)
}

// providerInfo maps the upstream Terraform provider onto pulumi-docker 5.1.0's tokens and wire names.
func providerInfo(version string) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(shim.NewProvider()),
		Name:        dockerPkg,
		Version:     version,
		GitHubOrg:   "kreuzwerker",
		Description: "A Pulumi package for interacting with Docker in Pulumi programs",
		Keywords:    []string{"pulumi", "docker"},
		License:     "Apache-2.0",
		Homepage:    "https://pulumi.io",
		Repository:  "https://github.com/pulumi/pulumi-docker",
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{EnvVars: []string{"DOCKER_HOST"}},
			},
			"registry_auth": {
				Name:        "registryAuth", // not plural, as in pulumi-docker
				MaxItemsOne: tfbridge.False(),
			},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config": {Tok: dockerResource("ServiceConfig")},
			"docker_container": {
				Tok: dockerResource("Container"),
				// pulumi-docker replaces containers delete-first: a fixed name cannot clash with itself.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// A list, but one command: not pluralised.
					"command": {Name: "command"},
					// A list whose TF name is singular; pulumi-docker keeps it singular.
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_image": {
				Tok:    dockerResource("RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
			"docker_network":        {Tok: dockerResource("Network")},
			"docker_secret":         {Tok: dockerResource("Secret")},
			"docker_service":        {Tok: dockerResource("Service")},
			"docker_volume":         {Tok: dockerResource("Volume")},
			"docker_registry_image": {Tok: dockerResource("RegistryImage")},
			"docker_plugin":         {Tok: dockerResource("Plugin")},
			"docker_tag":            {Tok: dockerResource("Tag")},
			"docker_buildx_builder": {Tok: dockerResource("BuildxBuilder")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_network":                  {Tok: dockerDataSource("getNetwork")},
			"docker_registry_image":           {Tok: dockerDataSource("getRegistryImage")},
			"docker_plugin":                   {Tok: dockerDataSource("getPlugin")},
			"docker_image":                    {Tok: dockerDataSource("getRemoteImage")},
			"docker_logs":                     {Tok: dockerDataSource("getLogs")},
			"docker_registry_image_manifests": {Tok: dockerDataSource("getRegistryImageManifests")},
		},
		ExtraTypes:     imageTypes(),
		ExtraResources: map[string]schema.ResourceSpec{imageToken: imageResourceSpec()},
	}
	prov.SetAutonaming(255, "-")
	return prov
}

func str(desc string) schema.PropertySpec {
	return schema.PropertySpec{Description: desc, TypeSpec: schema.TypeSpec{Type: "string"}}
}

// imageTypes are the object and enum types of the native Image resource, with the wire names of
// pulumi_docker 5.1.0 (DockerBuildArgs, CacheFromArgs, RegistryArgs, BuilderVersion).
func imageTypes() map[string]schema.ComplexTypeSpec {
	return map[string]schema.ComplexTypeSpec{
		"docker:index/registry:Registry": {ObjectTypeSpec: schema.ObjectTypeSpec{
			Type:        "object",
			Description: "Describes a Docker container registry",
			Properties: map[string]schema.PropertySpec{
				"server":   str("The URL of the Docker registry server"),
				"username": str("The username to authenticate to the registry. Does not cause image rebuild when changed."),
				"password": {
					Description: "The password to authenticate to the registry. Does not cause image rebuild when changed.",
					TypeSpec:    schema.TypeSpec{Type: "string"},
					Secret:      true,
				},
			},
		}},
		"docker:index/cacheFrom:CacheFrom": {ObjectTypeSpec: schema.ObjectTypeSpec{
			Type:        "object",
			Description: "Contains a list of images to reference when building using a cache",
			Properties: map[string]schema.PropertySpec{
				"images": {
					Description: "Specifies cached images",
					TypeSpec:    schema.TypeSpec{Type: "array", Items: &schema.TypeSpec{Type: "string"}},
				},
			},
		}},
		"docker:index/builderVersion:BuilderVersion": {
			ObjectTypeSpec: schema.ObjectTypeSpec{Type: "string", Description: "The version of the Docker builder."},
			Enum: []schema.EnumValueSpec{
				{Name: "BuilderV1", Value: "BuilderV1", Description: "The first generation builder for Docker Daemon"},
				{Name: "BuilderBuildKit", Value: "BuilderBuildKit", Description: "The builder based on moby/buildkit project"},
			},
		},
		"docker:index/dockerBuild:DockerBuild": {ObjectTypeSpec: schema.ObjectTypeSpec{
			Type:        "object",
			Description: "The Docker build context",
			Properties: map[string]schema.PropertySpec{
				"addHosts": {
					Description: "Custom host-to-IP mappings to use while building (format: \"host:ip\")",
					TypeSpec:    schema.TypeSpec{Type: "array", Items: &schema.TypeSpec{Type: "string"}},
				},
				"args": {
					Description: "An optional map of named build-time argument variables to set during the Docker build.",
					TypeSpec:    schema.TypeSpec{Type: "object", AdditionalProperties: &schema.TypeSpec{Type: "string"}},
				},
				"builderVersion": {
					Description: "The version of the Docker builder.",
					TypeSpec:    schema.TypeSpec{Ref: "#/types/docker:index/builderVersion:BuilderVersion"},
				},
				"cacheFrom": {
					Description: "A list of image names to use as build cache.",
					TypeSpec:    schema.TypeSpec{Ref: "#/types/docker:index/cacheFrom:CacheFrom"},
				},
				"context":    str("The path to the build context to use."),
				"dockerfile": str("The path to the Dockerfile to use."),
				"network":    str("Set the networking mode for RUN instructions"),
				"platform":   str("The architecture of the platform you want to build this image for, e.g. `linux/arm64`."),
				"target":     str("The target of the Dockerfile to build"),
			},
		}},
	}
}

func imageResourceSpec() schema.ResourceSpec {
	alias := "docker:image:Image"
	return schema.ResourceSpec{
		ObjectTypeSpec: schema.ObjectTypeSpec{
			Type:        "object",
			Description: "Builds a Docker image from a build context and (unless skipPush) pushes it to a registry.",
			Properties: map[string]schema.PropertySpec{
				"baseImageName":  str("The fully qualified image name that was pushed to the registry."),
				"context":        str("The path to the build context to use."),
				"dockerfile":     str("The location of the Dockerfile relative to the docker build context."),
				"imageName":      str("The fully qualified image name"),
				"platform":       str("The image's architecture and OS"),
				"registryServer": str("The name of the registry server hosting the image."),
				"repoDigest":     str("The digest of the pushed manifest, or the local image id when skipPush is set."),
			},
			Required: []string{"dockerfile", "context", "baseImageName", "imageName"},
		},
		InputProperties: map[string]schema.PropertySpec{
			"build": {
				Description: "The Docker build context",
				TypeSpec:    schema.TypeSpec{Ref: "#/types/docker:index/dockerBuild:DockerBuild"},
			},
			"buildOnPreview": {
				Description: "A flag to build an image on preview",
				TypeSpec:    schema.TypeSpec{Type: "boolean"},
				Default:     false,
			},
			"imageName": str("The image name, of the format repository[:tag]."),
			"registry": {
				Description: "The registry to push the image to",
				TypeSpec:    schema.TypeSpec{Ref: "#/types/docker:index/registry:Registry"},
			},
			"skipPush": {
				Description: "A flag to skip a registry push.",
				TypeSpec:    schema.TypeSpec{Type: "boolean"},
				Default:     false,
			},
		},
		RequiredInputs: []string{"imageName"},
		Aliases:        []schema.AliasSpec{{Type: alias}},
	}
}
