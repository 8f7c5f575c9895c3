package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"
)

func mustStruct(t *testing.T, m resource.PropertyMap) *pulumirpc.CheckRequest {
	t.Helper()
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.CheckRequest{Type: passwordToken, News: s}
}

func TestGeneratedStringHasTheRequestedLengthAndOnlyEnabledClasses(t *testing.T) {
	for i := 0; i < 50; i++ {
		s, err := generate(stringParams{Length: 32, Upper: true, Lower: true, Numeric: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 32 {
			t.Fatalf("length %d, want 32", len(s))
		}
		if strings.ContainsAny(s, defaultSpecialChars) {
			t.Fatalf("%q has a special character with special=false", s)
		}
	}
}

func TestGeneratedStringMeetsEveryMinimum(t *testing.T) {
	p := stringParams{Length: 8, Lower: true, MinUpper: 2, MinNumeric: 2, MinSpecial: 2, OverrideSpecial: "_"}
	for i := 0; i < 50; i++ {
		s, err := generate(p)
		if err != nil {
			t.Fatal(err)
		}
		count := func(set string) int {
			n := 0
			for _, c := range s {
				if strings.ContainsRune(set, c) {
					n++
				}
			}
			return n
		}
		if count(upperChars) < 2 || count(numericChars) < 2 || count("_") < 2 {
			t.Fatalf("%q misses a minimum", s)
		}
	}
}

func TestCheckAppliesTerraformDefaults(t *testing.T) {
	out, failures := checkInputs(resource.PropertyMap{"length": resource.NewProperty(16.0)})
	if len(failures) != 0 {
		t.Fatal(failures)
	}
	for _, k := range []string{"special", "upper", "lower", "number", "numeric"} {
		if v := out[resource.PropertyKey(k)]; !v.IsBool() || !v.BoolValue() {
			t.Errorf("%s = %v, want true", k, v)
		}
	}
	if v := out["minSpecial"]; !v.IsNumber() || v.NumberValue() != 0 {
		t.Errorf("minSpecial = %v, want 0", v)
	}
}

func TestCheckMirrorsDeprecatedNumberIntoNumeric(t *testing.T) {
	out, _ := checkInputs(resource.PropertyMap{"length": resource.NewProperty(4.0), "number": resource.NewProperty(false)})
	if out["numeric"].BoolValue() {
		t.Fatal("numeric should follow number=false")
	}
}

func TestCheckRefusesLengthBelowTheSumOfMinimums(t *testing.T) {
	p := &provider{}
	resp, err := p.Check(context.Background(), mustStruct(t, resource.PropertyMap{
		"length": resource.NewProperty(3.0), "minUpper": resource.NewProperty(2.0), "minLower": resource.NewProperty(2.0),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Failures) != 1 || resp.Failures[0].Property != "length" || !strings.Contains(resp.Failures[0].Reason, "(4)") {
		t.Fatalf("failures = %v", resp.Failures)
	}
}

func TestCheckRefusesAnUnknownProperty(t *testing.T) {
	_, failures := checkInputs(resource.PropertyMap{"length": resource.NewProperty(3.0), "lenght": resource.NewProperty(3.0)})
	if len(failures) != 1 || failures[0].property != "lenght" {
		t.Fatalf("failures = %v", failures)
	}
}

func diff(t *testing.T, olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	o, _ := plugin.MarshalProperties(olds, plugin.MarshalOptions{KeepUnknowns: true})
	n, _ := plugin.MarshalProperties(news, plugin.MarshalOptions{KeepUnknowns: true})
	resp, err := (&provider{}).Diff(context.Background(), &pulumirpc.DiffRequest{OldInputs: o, News: n, Type: passwordToken})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestSameInputsAreNoChange(t *testing.T) {
	in, _ := checkInputs(resource.PropertyMap{"length": resource.NewProperty(32.0), "special": resource.NewProperty(false)})
	if r := diff(t, in, in); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("changes = %v", r.Changes)
	}
}

func TestEveryInputChangeReplaces(t *testing.T) {
	old, _ := checkInputs(resource.PropertyMap{"length": resource.NewProperty(32.0)})
	for _, change := range []resource.PropertyMap{
		{"length": resource.NewProperty(31.0)},
		{"special": resource.NewProperty(false)},
		{"keepers": resource.NewProperty(resource.PropertyMap{"k": resource.NewProperty("v")})},
	} {
		news := old.Copy()
		for k, v := range change {
			news[k] = v
		}
		r := diff(t, old, news)
		if r.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(r.Replaces) != 1 {
			t.Fatalf("%v: changes=%v replaces=%v", change, r.Changes, r.Replaces)
		}
	}
}

func TestPasswordResultAndHashAreSecretAndTheHashMatches(t *testing.T) {
	p := &provider{acceptSecrets: true}
	in, _ := checkInputs(resource.PropertyMap{"length": resource.NewProperty(20.0)})
	s, _ := plugin.MarshalProperties(in, plugin.MarshalOptions{})
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Type: passwordToken, Properties: s})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Id != "none" {
		t.Fatalf("id = %q, want none", resp.Id)
	}
	out, _ := plugin.UnmarshalProperties(resp.Properties, plugin.MarshalOptions{KeepSecrets: true})
	if !out["result"].IsSecret() || !out["bcryptHash"].IsSecret() {
		t.Fatal("result and bcryptHash must be secrets")
	}
	pw := out["result"].SecretValue().Element.StringValue()
	hash := out["bcryptHash"].SecretValue().Element.StringValue()
	if len(pw) != 20 || bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) != nil {
		t.Fatalf("result %q does not match its hash", pw)
	}
}

func TestReadReturnsTheStateUnchanged(t *testing.T) {
	p := &provider{acceptSecrets: true}
	state := resource.PropertyMap{"length": resource.NewProperty(3.0), "result": resource.MakeSecret(resource.NewProperty("abc"))}
	s, _ := plugin.MarshalProperties(state, plugin.MarshalOptions{KeepSecrets: true})
	resp, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Id: "none", Type: passwordToken, Properties: s})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := plugin.UnmarshalProperties(resp.Properties, plugin.MarshalOptions{KeepSecrets: true})
	if !got.DeepEquals(state) || resp.Id != "none" {
		t.Fatalf("read changed the state: %v", got)
	}
}

func TestImportTakesTheIdAsTheResult(t *testing.T) {
	resp, err := (&provider{}).Read(context.Background(), &pulumirpc.ReadRequest{Id: "s3cret", Type: stringToken})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := plugin.UnmarshalProperties(resp.Properties, plugin.MarshalOptions{})
	if resp.Id != "s3cret" || got["result"].StringValue() != "s3cret" || got["length"].NumberValue() != 6 {
		t.Fatalf("import: id=%q props=%v", resp.Id, got)
	}
}
