package main

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/protobuf/types/known/structpb"
)

const passwordToken = "random:index/randomPassword:RandomPassword"
const passwordURN = "urn:pulumi:test::test::" + passwordToken + "::db"

type discardLogs struct{}

func (discardLogs) Log(context.Context, diag.Severity, resource.URN, string) error       { return nil }
func (discardLogs) LogStatus(context.Context, diag.Severity, resource.URN, string) error { return nil }

// server is the provider as the engine talks to it, configured as pulumi up configures it.
func server(t *testing.T) pulumirpc.ResourceProviderServer {
	t.Helper()
	info := providerInfo(Version)
	meta, err := metadata(info)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := pf.NewProviderServer(context.Background(), discardLogs{}, info, meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Configure(context.Background(), &pulumirpc.ConfigureRequest{
		Args: &structpb.Struct{}, AcceptSecrets: true, AcceptResources: true,
	}); err != nil {
		t.Fatal(err)
	}
	return srv
}

func wire(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func props(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func check(t *testing.T, srv pulumirpc.ResourceProviderServer, news resource.PropertyMap) *pulumirpc.CheckResponse {
	t.Helper()
	resp, err := srv.Check(context.Background(), &pulumirpc.CheckRequest{Urn: passwordURN, Type: passwordToken, News: wire(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// password is a created RandomPassword: its checked inputs and its outputs.
type password struct{ inputs, outputs *structpb.Struct }

func create(t *testing.T, srv pulumirpc.ResourceProviderServer, news resource.PropertyMap) password {
	t.Helper()
	checked := check(t, srv, news)
	if len(checked.Failures) > 0 {
		t.Fatalf("check failures: %v", checked.Failures)
	}
	resp, err := srv.Create(context.Background(), &pulumirpc.CreateRequest{Urn: passwordURN, Type: passwordToken, Properties: checked.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	return password{inputs: checked.Inputs, outputs: resp.Properties}
}

func (p password) result(t *testing.T) string {
	t.Helper()
	v := props(t, p.outputs)["result"]
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v.StringValue()
}

func diff(t *testing.T, srv pulumirpc.ResourceProviderServer, old password, news resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	checked := check(t, srv, news)
	resp, err := srv.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: passwordURN, Type: passwordToken, Id: "none", Olds: old.outputs, OldInputs: old.inputs, News: checked.Inputs,
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func length(n float64) resource.PropertyMap {
	return resource.PropertyMap{"length": resource.NewProperty(n)}
}

func with(m resource.PropertyMap, key resource.PropertyKey, v resource.PropertyValue) resource.PropertyMap {
	out := m.Copy()
	out[key] = v
	return out
}

func TestAPasswordHasTheRequestedLengthAndIsSecretWithAMatchingBcryptHash(t *testing.T) {
	srv := server(t)
	p := create(t, srv, length(24))
	out := props(t, p.outputs)
	if !out["result"].IsSecret() || !out["bcryptHash"].IsSecret() {
		t.Fatalf("result and bcryptHash must be secrets: %v", out)
	}
	hash := out["bcryptHash"].SecretValue().Element.StringValue()
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(p.result(t))); err != nil || len(p.result(t)) != 24 {
		t.Fatalf("result %d characters, hash check %v", len(p.result(t)), err)
	}
}

func TestKeepersGoingFromAbsentToEmptyDoNotReplaceThePassword(t *testing.T) {
	srv := server(t)
	p := create(t, srv, length(16))
	r := diff(t, srv, p, with(length(16), "keepers", resource.NewProperty(resource.PropertyMap{})))
	if len(r.Replaces) != 0 {
		t.Fatalf("replaces %v, want none", r.Replaces)
	}
}

func TestChangedKeepersReplaceThePassword(t *testing.T) {
	srv := server(t)
	p := create(t, srv, with(length(16), "keepers", resource.NewProperty(resource.PropertyMap{"k": resource.NewProperty("1")})))
	r := diff(t, srv, p, with(length(16), "keepers", resource.NewProperty(resource.PropertyMap{"k": resource.NewProperty("2")})))
	if len(r.Replaces) == 0 {
		t.Fatal("a changed keeper must replace the password")
	}
}

func TestOverrideSpecialGoingFromEmptyToUnsetDoesNotReplaceThePassword(t *testing.T) {
	srv := server(t)
	p := create(t, srv, with(length(16), "overrideSpecial", resource.NewProperty("")))
	r := diff(t, srv, p, length(16))
	if len(r.Replaces) != 0 {
		t.Fatalf("replaces %v, want none", r.Replaces)
	}
}

func TestAnEmptyCharacterSetIsRefusedEvenWhenTheMinimumsFillTheLength(t *testing.T) {
	srv := server(t)
	no := resource.NewProperty(false)
	news := with(length(4), "minUpper", resource.NewProperty(4.0))
	for _, k := range []resource.PropertyKey{"upper", "lower", "numeric", "special"} {
		news = with(news, k, no)
	}
	checked := check(t, srv, news)
	if len(checked.Failures) > 0 {
		return // refused by Check
	}
	_, err := srv.Create(context.Background(), &pulumirpc.CreateRequest{Urn: passwordURN, Type: passwordToken, Properties: checked.Inputs})
	if err == nil {
		t.Fatal("a password with upper, lower, numeric and special all false must be refused")
	}
}

func TestAMultiByteOverrideSpecialGivesWholeCharacters(t *testing.T) {
	srv := server(t)
	no := resource.NewProperty(false)
	news := with(with(with(length(40), "upper", no), "lower", no), "numeric", no)
	p := create(t, srv, with(news, "overrideSpecial", resource.NewProperty("äöü€")))
	got := p.result(t)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 40 || strings.Trim(got, "äöü€") != "" {
		t.Fatalf("result %q: want 40 characters from äöü€", got)
	}
}
