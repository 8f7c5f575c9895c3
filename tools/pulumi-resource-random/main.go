// Command pulumi-resource-random is a stand-in for the Pulumi random provider (pulumi-random v4).
//
// The official provider is bridged from terraform-provider-random. This stand-in is a native
// Pulumi provider over gRPC that implements two of its resources with the same tokens, property
// names and behaviour:
//
//   - random:index/randomPassword:RandomPassword (terraform's random_password)
//   - random:index/randomString:RandomString     (terraform's random_string)
//
// Semantics follow hashicorp/terraform-provider-random internal/provider/resource_password.go,
// resource_string.go and string.go: inputs length, special, upper, lower, numeric (and the
// deprecated number, kept equal to numeric), minUpper, minLower, minNumeric, minSpecial,
// overrideSpecial and keepers; every input change replaces the resource; Read changes nothing;
// RandomPassword has id "none", a secret result and a secret bcryptHash of the result; RandomString's
// id is its result. Import (Read with no state) takes the id as the result, as ImportState does.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Version is the pulumi-random release whose resources this stand-in mirrors (set by the build).
var Version = "4.21.1"

const (
	passwordToken = "random:index/randomPassword:RandomPassword"
	stringToken   = "random:index/randomString:RandomString"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "version") {
		fmt.Println(Version)
		return
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, &provider{})
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the random provider: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(err)
	}
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	acceptSecrets bool
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// GetSchema returns a minimal package schema naming the two resources and their properties.
func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	b, err := json.Marshal(packageSchema())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

// The random provider has no configuration.
func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.acceptSecrets = req.GetAcceptSecrets()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

var unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func (p *provider) marshal(props resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(props, plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: p.acceptSecrets, SkipNulls: true,
	})
}

func kindOf(typ, urn string) (string, error) {
	if typ == "" {
		typ = string(resource.URN(urn).Type())
	}
	switch typ {
	case passwordToken, stringToken:
		return typ, nil
	}
	return "", fmt.Errorf("unknown resource type %q: this provider implements %s and %s", typ, passwordToken, stringToken)
}

// Check validates the inputs and fills in terraform's defaults, so the checked inputs stored in the
// state are complete and a later run with the same program sees no difference.
func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if _, err := kindOf(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	inputs, failures := checkInputs(news)
	out, err := p.marshal(inputs)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.CheckResponse{Inputs: out}
	for _, f := range failures {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.property, Reason: f.reason})
	}
	return resp, nil
}

// Diff replaces the resource when any input differs from the previous inputs: every input is
// ForceNew in terraform-provider-random. Unknown new values count as changes.
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := plugin.UnmarshalProperties(req.GetOldInputs(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		// States written without old inputs: compare against the outputs, which hold the inputs too.
		if olds, err = plugin.UnmarshalProperties(req.GetOlds(), unmarshalOpts); err != nil {
			return nil, err
		}
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	ignored := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignored[k] = true
	}
	replaces := []string{}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, key := range inputKeys {
		k := resource.PropertyKey(key)
		if ignored[key] {
			continue
		}
		o, hasOld := olds[k]
		n, hasNew := news[k]
		if !hasOld && !hasNew {
			continue
		}
		if hasOld && hasNew && !n.ContainsUnknowns() && o.DeepEquals(n) {
			continue
		}
		replaces = append(replaces, key)
		kind := pulumirpc.PropertyDiff_UPDATE_REPLACE
		if !hasOld {
			kind = pulumirpc.PropertyDiff_ADD_REPLACE
		} else if !hasNew {
			kind = pulumirpc.PropertyDiff_DELETE_REPLACE
		}
		detailed[key] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	if len(replaces) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true}, nil
	}
	sort.Strings(replaces)
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Replaces: replaces, Diffs: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

// Create generates the value. In a preview the generated outputs are unknown.
func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	kind, err := kindOf(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	inputs, err := plugin.UnmarshalProperties(req.GetProperties(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	inputs, failures := checkInputs(inputs)
	if len(failures) > 0 {
		return nil, fmt.Errorf("%s", failures[0].reason)
	}
	outs := inputs.Copy()
	if req.GetPreview() {
		outs["result"] = resource.MakeComputed(resource.NewProperty(""))
		if kind == passwordToken {
			outs["bcryptHash"] = resource.MakeComputed(resource.NewProperty(""))
		}
		out, err := p.marshal(outs)
		return &pulumirpc.CreateResponse{Properties: out}, err
	}
	result, err := generate(paramsOf(inputs))
	if err != nil {
		return nil, err
	}
	id, err := setResult(kind, outs, result)
	if err != nil {
		return nil, err
	}
	out, err := p.marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// setResult stores the generated value: RandomPassword keeps it (and its bcrypt hash) secret under
// id "none"; RandomString uses it as its id.
func setResult(kind string, outs resource.PropertyMap, result string) (string, error) {
	if kind == passwordToken {
		hash, err := bcrypt.GenerateFromPassword([]byte(result), bcrypt.DefaultCost)
		if err != nil {
			return "", fmt.Errorf("generating the bcrypt hash: %w", err)
		}
		outs["result"] = resource.MakeSecret(resource.NewProperty(result))
		outs["bcryptHash"] = resource.MakeSecret(resource.NewProperty(string(hash)))
		return "none", nil
	}
	outs["result"] = resource.NewProperty(result)
	return result, nil
}

// Read returns the state unchanged (terraform's Read is empty), so a refresh changes nothing. With
// no state, it is an import: the id is the value, and the inputs are terraform's import defaults
// with length = len(id).
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	kind, err := kindOf(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	props, err := plugin.UnmarshalProperties(req.GetProperties(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	inputs, err := plugin.UnmarshalProperties(req.GetInputs(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	id := req.GetId()
	if len(props) == 0 {
		inputs, _ = checkInputs(resource.PropertyMap{"length": resource.NewProperty(float64(len(id)))})
		props = inputs.Copy()
		value := id
		if id, err = setResult(kind, props, value); err != nil {
			return nil, err
		}
	}
	if len(inputs) == 0 {
		inputs = resource.PropertyMap{}
		for _, k := range inputKeys {
			if v, ok := props[resource.PropertyKey(k)]; ok {
				inputs[resource.PropertyKey(k)] = v
			}
		}
	}
	outProps, err := p.marshal(props)
	if err != nil {
		return nil, err
	}
	outInputs, err := p.marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: id, Properties: outProps, Inputs: outInputs}, nil
}

// Update copies the new inputs onto the state (terraform's Update); every input change replaces
// the resource, so only ignored changes get here.
func (p *provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := plugin.UnmarshalProperties(req.GetOlds(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	outs := olds.Copy()
	for k, v := range news {
		outs[k] = v
	}
	out, err := p.marshal(outs)
	return &pulumirpc.UpdateResponse{Properties: out}, err
}

// Delete has nothing to remove.
func (p *provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
